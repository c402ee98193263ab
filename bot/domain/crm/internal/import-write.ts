import { eq, sql } from 'drizzle-orm'
import { customers, type ImportRowError, importJobs } from '../../../../db/schema'
import { resultRows as rowsOf } from '../../../lib/sql-rows'
import type { ServiceContext } from '../../context'
import type { CustomerInsert } from './import-rows'

// The writes of an import for runImport (run-import.ts): one customer batch, and the job's final state.

const CUSTOMER_RECORD = sql.raw(`id text, tenant_id text, name text, short_name text, name_norm text,
  credit_code text, phone text, industry text, scale text, tier text, tags jsonb, province_code text,
  city_code text, district_code text, address text, lat numeric, lng numeric, source text, owner_id text,
  owned_since timestamptz, reclaim_due_at timestamptz, search_text text, search_grams text[],
  created_by_id text, created_at timestamptz, updated_at timestamptz`)
const CUSTOMER_COLUMNS_SQL =
  sql.raw(`id, tenant_id, name, short_name, name_norm, credit_code, phone, industry,
  scale, tier, tags, province_code, city_code, district_code, address, lat, lng, source, owner_id,
  owned_since, reclaim_due_at, search_text, search_grams, created_by_id, created_at, updated_at`)

/**
 * One batch of customers as a single JSON parameter expanded by `json_to_recordset`: about twice the
 * speed of a 1000-row VALUES list with 30,000 bind parameters, and the same on PostgreSQL and PGlite.
 */
export async function insertCustomerBatch(
  ctx: ServiceContext,
  rows: CustomerInsert[],
): Promise<Array<{ id: string }>> {
  const json = JSON.stringify(
    rows.map((r) => ({
      id: r.id,
      tenant_id: r.tenantId,
      name: r.name,
      short_name: r.shortName ?? null,
      name_norm: r.nameNorm,
      credit_code: r.creditCode ?? null,
      phone: r.phone ?? null,
      industry: r.industry ?? null,
      scale: r.scale ?? null,
      tier: r.tier ?? null,
      tags: r.tags ?? [],
      province_code: r.provinceCode ?? null,
      city_code: r.cityCode ?? null,
      district_code: r.districtCode ?? null,
      address: r.address ?? null,
      lat: r.lat ?? null,
      lng: r.lng ?? null,
      source: r.source ?? null,
      owner_id: r.ownerId ?? null,
      owned_since: r.ownedSince ?? null,
      reclaim_due_at: r.reclaimDueAt ?? null,
      search_text: r.searchText ?? '',
      search_grams: r.searchGrams ?? [],
      created_by_id: r.createdById ?? null,
      created_at: r.createdAt,
      updated_at: r.updatedAt,
    })),
  )
  return rowsOf<{ id: string }>(
    await ctx.db.execute(sql`
      insert into ${customers} (${CUSTOMER_COLUMNS_SQL})
      select ${CUSTOMER_COLUMNS_SQL} from json_to_recordset(${json}::json) as t(${CUSTOMER_RECORD})
      on conflict do nothing
      returning id`),
  )
}

export const countRows = (errors: ImportRowError[]): number => new Set(errors.map((e) => e.row)).size

export async function finish(
  ctx: ServiceContext,
  id: string,
  status: 'done' | 'failed',
  total: number,
  ok: number,
  errors: ImportRowError[],
  message: string | null,
): Promise<void> {
  errors.sort((a, b) => a.row - b.row)
  await ctx.db
    .update(importJobs)
    .set({
      status,
      processedRows: total,
      okRows: ok,
      errorRows: countRows(errors),
      errors: errors.slice(0, 5000),
      message,
      finishedAt: ctx.clock.now(),
      file: null,
    })
    .where(eq(importJobs.id, id))
}
