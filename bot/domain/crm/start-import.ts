import { and, eq } from 'drizzle-orm'
import { importJobs } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { ForbiddenError, InvalidInputError, NotFoundError } from '../errors'
import { requireLeadImporter } from '../leads/import-leads'
import { emit } from '../outbox'
import { CONTACT_COLUMNS, CUSTOMER_COLUMNS, LEAD_COLUMNS, mapHeaders } from './internal/import-columns'
import { parseSheet } from './spreadsheet'

export const IMPORT_RUN = 'crm.import.run'
export const MAX_IMPORT_BYTES = 20 * 1024 * 1024
export const MAX_IMPORT_ROWS = 100_000

export type ImportJobRow = typeof importJobs.$inferSelect
export type ImportJobDto = Omit<ImportJobRow, 'file' | 'tenantId'>

export const toImportDto = ({ file: _f, tenantId: _t, ...rest }: ImportJobRow): ImportJobDto => rest

/**
 * Accepts an import file (CSV or XLSX, customers, contacts or leads — leads by lead managers only), checks that it parses and has the required
 * columns (else 400 and nothing stored), and queues it. Rows are processed by the `crm.import.run` job with
 * progress on the job row. Mode `per_row` (default): valid rows land, each invalid row is reported with its
 * row number, field and reason; `atomic`: any invalid row and nothing lands (the same report).
 */
export async function startImport({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: {
    entity: 'customers' | 'contacts' | 'leads'
    format: 'csv' | 'xlsx'
    mode?: 'per_row' | 'atomic'
    fileName?: string
    data: Uint8Array
  }
}): Promise<ImportJobDto> {
  const me = actorId(ctx.actor)
  if (!me) throw new ForbiddenError('imports are started by people')
  if (input.data.byteLength === 0) throw new InvalidInputError('file', 'the file is empty')
  if (input.data.byteLength > MAX_IMPORT_BYTES) throw new InvalidInputError('file', 'the file exceeds 20 MB')
  if (input.entity === 'leads') await requireLeadImporter(ctx)
  const sheet = await parseSheet(input.format, input.data, { maxRows: MAX_IMPORT_ROWS }).catch((err) => {
    // Say which file: an import may be one of several a person uploads.
    if (err instanceof InvalidInputError && input.fileName)
      throw new InvalidInputError('file', `${input.fileName.slice(0, 200)}: ${err.message}`)
    throw err
  })
  const columns =
    input.entity === 'customers'
      ? CUSTOMER_COLUMNS
      : input.entity === 'leads'
        ? LEAD_COLUMNS
        : CONTACT_COLUMNS
  const mapped = mapHeaders(sheet.headers, columns)
  const required =
    input.entity === 'customers'
      ? ['name']
      : input.entity === 'leads'
        ? ['name', 'channel']
        : ['customer', 'name']
  for (const key of required) {
    if (!mapped.has(key)) {
      const col = columns.find((c) => c[0] === key)
      throw new InvalidInputError('file', `missing column ${col?.[1]} / ${col?.[2]}`)
    }
  }
  if (sheet.rows.length === 0) throw new InvalidInputError('file', 'the file has no data rows')
  if (sheet.truncated || sheet.rows.length > MAX_IMPORT_ROWS)
    throw new InvalidInputError('file', `at most ${MAX_IMPORT_ROWS} rows per import`)
  return withTransaction(ctx, async (_tx, txCtx) => {
    const [row] = await txCtx.db
      .insert(importJobs)
      .values({
        id: newId('imp'),
        tenantId: txCtx.tenantId,
        createdById: me,
        entity: input.entity,
        format: input.format,
        mode: input.mode ?? 'per_row',
        fileName: input.fileName?.slice(0, 200) ?? null,
        file: input.data,
        totalRows: sheet.rows.length,
        createdAt: txCtx.clock.now(),
      })
      .returning()
    if (!row) throw new Error('insert returned nothing')
    await emit(txCtx, { topic: IMPORT_RUN, payload: { tenantId: txCtx.tenantId, jobId: row.id, userId: me } })
    return toImportDto(row)
  })
}

/** An import job of the caller's (progress and the per-row report). */
export async function getImportJob({
  ctx,
  jobId,
}: {
  ctx: ServiceContext
  jobId: string
}): Promise<ImportJobDto> {
  const [row] = await ctx.db
    .select()
    .from(importJobs)
    .where(
      and(
        eq(importJobs.tenantId, ctx.tenantId),
        eq(importJobs.id, jobId),
        eq(importJobs.createdById, actorId(ctx.actor) ?? ''),
      ),
    )
  if (!row) throw new NotFoundError('import', jobId)
  return toImportDto(row)
}
