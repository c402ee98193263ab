import { and, eq } from 'drizzle-orm'
import { contacts, type ImportRowError, importJobs } from '../../../db/schema'
import { type ServiceContext, withTransaction } from '../context'
import { DomainError } from '../errors'
import { runLeadImport } from '../leads/import-leads'
import { loadCrmAccess } from './access'
import {
  type ContactInsert,
  type CustomerInsert,
  type Prepared,
  prepareContacts,
  prepareCustomers,
} from './internal/import-rows'
import { countRows, finish, insertCustomerBatch } from './internal/import-write'
import { refreshSearch } from './internal/refresh-search'
import { parseSheet } from './spreadsheet'
import { MAX_IMPORT_ROWS } from './start-import'

const BATCH = 1000

class RollbackImport extends Error {}

/**
 * Processes a queued import as its creator (their data scope applies), in batches of 1000 rows, writing
 * progress after each batch. Returns the final job state. Safe to re-run: a finished job is left alone.
 */
export async function runImport({
  ctx,
  jobId,
  onProgress,
}: {
  ctx: ServiceContext
  jobId: string
  onProgress?: (processed: number, total: number) => void
}): Promise<{ status: string; okRows: number; errorRows: number }> {
  const [job] = await ctx.db
    .select()
    .from(importJobs)
    .where(and(eq(importJobs.tenantId, ctx.tenantId), eq(importJobs.id, jobId)))
  if (!job?.file) return { status: 'missing', okRows: 0, errorRows: 0 }
  if (job.status === 'done' || job.status === 'failed')
    return { status: job.status, okRows: job.okRows, errorRows: job.errorRows }
  const now = ctx.clock.now()
  await ctx.db.update(importJobs).set({ status: 'running', startedAt: now }).where(eq(importJobs.id, job.id))
  const access = job.entity === 'leads' ? null : await loadCrmAccess(ctx)
  const errors: ImportRowError[] = []
  const fail = (row: number, field: string, message: string) => errors.push({ row, field, message })
  try {
    const sheet = await parseSheet(job.format, job.file, { maxRows: MAX_IMPORT_ROWS })
    if (job.entity === 'leads') {
      const total = sheet.rows.length
      const r = await runLeadImport({
        ctx,
        jobId: job.id,
        mode: job.mode,
        sheet,
        errors,
        ...(onProgress ? { onProgress } : {}),
      })
      const status = r.rollback ? 'failed' : 'done'
      await finish(
        ctx,
        job.id,
        status,
        total,
        r.ok,
        errors,
        r.rollback ? 'invalid rows: nothing was imported' : null,
      )
      return { status, okRows: r.ok, errorRows: countRows(errors) }
    }
    const t0 = performance.now()
    const prepared =
      job.entity === 'customers'
        ? await prepareCustomers(ctx, access ?? (await loadCrmAccess(ctx)), sheet.headers, sheet.rows, fail)
        : await prepareContacts(ctx, access ?? (await loadCrmAccess(ctx)), sheet.headers, sheet.rows, fail)
    const total = sheet.rows.length
    const prepareMs = Math.round(performance.now() - t0)
    if (job.mode === 'atomic' && errors.length > 0) {
      await finish(ctx, job.id, 'failed', total, 0, errors, 'invalid rows: nothing was imported')
      return { status: 'failed', okRows: 0, errorRows: countRows(errors) }
    }
    let ok = 0
    const write = async (c: ServiceContext, batch: Array<Prepared<CustomerInsert | ContactInsert>>) => {
      if (job.entity === 'customers') {
        const inserted = await insertCustomerBatch(
          c,
          batch.map((b) => b.value as CustomerInsert),
        )
        const landed = new Set(inserted.map((r) => r.id))
        for (const b of batch)
          if (!landed.has(String(b.value.id)))
            fail(b.row, 'name', 'duplicate: a customer with this name or credit code exists')
        return inserted.length
      }
      const inserted = await c.db
        .insert(contacts)
        .values(batch.map((b) => b.value as ContactInsert))
        .returning({ id: contacts.id, customerId: contacts.customerId })
      for (const cid of new Set(inserted.map((r) => r.customerId))) await refreshSearch(c, cid)
      return inserted.length
    }
    if (job.mode === 'atomic') {
      let status: 'done' | 'failed' = 'done'
      try {
        await withTransaction(ctx, async (_tx, txCtx) => {
          for (let i = 0; i < prepared.length; i += BATCH)
            ok += await write(txCtx, prepared.slice(i, i + BATCH))
          if (errors.length > 0) throw new RollbackImport()
        })
      } catch (err) {
        if (!(err instanceof RollbackImport)) throw err
        ok = 0
        status = 'failed'
      }
      await finish(
        ctx,
        job.id,
        status,
        total,
        ok,
        errors,
        status === 'failed' ? 'invalid rows: nothing was imported' : null,
      )
      onProgress?.(total, total)
      return { status, okRows: ok, errorRows: countRows(errors) }
    }
    let processed = 0
    // Two batches in flight: on PostgreSQL they run on two connections (index upkeep uses both cores);
    // on PGlite they simply queue. Each batch commits on its own, so progress is real.
    let inflight: Promise<void> | null = null
    for (let i = 0; i < prepared.length; i += BATCH) {
      const batch = prepared.slice(i, i + BATCH)
      const running: Promise<void> = (async () => {
        const n = await write(ctx, batch)
        ok += n
        processed = Math.min(total, Math.max(processed, (batch[batch.length - 1]?.row ?? 1) - 1))
        await ctx.db
          .update(importJobs)
          .set({ processedRows: processed, okRows: ok, errorRows: countRows(errors) })
          .where(eq(importJobs.id, job.id))
        onProgress?.(processed, total)
      })()
      // Handled here so a failing batch never counts as unhandled; awaiting it below still throws.
      running.catch(() => {})
      if (inflight) await inflight
      inflight = running
    }
    if (inflight) await inflight
    await finish(ctx, job.id, 'done', total, ok, errors, null)
    ctx.logger.info(
      { jobId: job.id, rows: total, ok, prepareMs, writeMs: Math.round(performance.now() - t0) - prepareMs },
      'crm import finished',
    )
    onProgress?.(total, total)
    return { status: 'done', okRows: ok, errorRows: countRows(errors) }
  } catch (err) {
    if (!(err instanceof DomainError)) throw err
    await finish(ctx, job.id, 'failed', job.totalRows, 0, errors, err.message)
    return { status: 'failed', okRows: 0, errorRows: countRows(errors) }
  }
}
