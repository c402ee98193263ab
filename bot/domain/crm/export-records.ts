import { and, asc, eq, inArray } from 'drizzle-orm'
import { contacts, customers } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { loadCrmAccess, userLabels, workableCustomers } from './access'
import { CONTACT_COLUMNS, CUSTOMER_COLUMNS } from './internal/import-columns'
import { toCsv, toXlsx } from './spreadsheet'

export const MAX_EXPORT_ROWS = 100_000

/**
 * Exports the customers (or their contacts) the caller may work on — the data scope applies to exports
 * too — as CSV (UTF-8 with BOM, opens in Excel) or XLSX, with the same columns the import reads.
 */
export async function exportRecords({
  ctx,
  entity,
  format,
}: {
  ctx: ServiceContext
  entity: 'customers' | 'contacts'
  format: 'csv' | 'xlsx'
}): Promise<{ fileName: string; contentType: string; data: Uint8Array }> {
  const access = await loadCrmAccess(ctx)
  const rows = await ctx.db
    .select()
    .from(customers)
    .where(workableCustomers(ctx, access))
    .orderBy(asc(customers.createdAt))
    .limit(MAX_EXPORT_ROWS)
  let headers: string[]
  let table: string[][]
  if (entity === 'customers') {
    const labels = await userLabels(
      ctx,
      rows.map((r) => r.ownerId),
    )
    headers = CUSTOMER_COLUMNS.map((c) => c[1])
    table = rows.map((r) =>
      CUSTOMER_COLUMNS.map(([key]) => {
        if (key === 'owner') return r.ownerId ? (labels.get(r.ownerId)?.name ?? '') : ''
        if (key === 'tags') return r.tags.join(';')
        const v = r[key]
        return v === null || v === undefined ? '' : String(v)
      }),
    )
  } else {
    const names = new Map(rows.map((r) => [r.id, r.name]))
    const people: Array<typeof contacts.$inferSelect> = []
    const ids = rows.map((r) => r.id)
    for (let i = 0; i < ids.length; i += 5000) {
      people.push(
        ...(await ctx.db
          .select()
          .from(contacts)
          .where(
            and(eq(contacts.tenantId, ctx.tenantId), inArray(contacts.customerId, ids.slice(i, i + 5000))),
          )),
      )
    }
    headers = CONTACT_COLUMNS.map((c) => c[1])
    table = people.map((p) => [
      names.get(p.customerId) ?? '',
      p.name,
      p.title ?? '',
      p.phone ?? '',
      p.email ?? '',
      p.decisionRole,
      p.isPrimary ? 'true' : 'false',
    ])
  }
  const stamp = ctx.clock.now().toISOString().slice(0, 10)
  if (format === 'xlsx') {
    return {
      fileName: `${entity}-${stamp}.xlsx`,
      contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      data: await toXlsx(entity, headers, table),
    }
  }
  return {
    fileName: `${entity}-${stamp}.csv`,
    contentType: 'text/csv; charset=utf-8',
    data: toCsv(headers, table),
  }
}
