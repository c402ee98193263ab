import { zonedDateTime } from '../../lib/time-zone'
import { type ServiceContext, withTransaction } from '../context'
import type { ListAuditInput } from '../org/admin-schemas'
import { tenantTimeZone } from '../org/time-zone'
import { listAudit } from './list-audit'
import { recordAudit } from './record-audit'

/**
 * One CSV cell: quoted, quotes doubled, and a leading `=`, `+`, `-`, `@`, tab or carriage return
 * neutralised with an apostrophe, so a spreadsheet never runs a value as a formula.
 */
export function csvCell(value: unknown): string {
  let s =
    value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value)
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`
  return `"${s.replace(/"/g, '""')}"`
}

const MAX_ROWS = 50_000

/**
 * The filtered audit log as CSV (UTF-8 with BOM so Excel reads Chinese), up to 50,000 rows; the export
 * itself is audited. Needs `audit.view`.
 */
export async function exportAuditCsv({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: ListAuditInput
}): Promise<{ csv: string; rows: number }> {
  // Wall time in the tenant's zone, named in the header (as the notice and lead exports do).
  const zone = await tenantTimeZone(ctx)
  const lines = [
    `${csvCell(`时间 at (${zone})`)},操作人 actor,方式 via,操作 action,对象 target type,对象 id,之前 before,之后 after`,
  ]
  let before: number | undefined
  let rows = 0
  do {
    const page = await listAudit({ ctx, input: { ...input, limit: 500, ...(before ? { before } : {}) } })
    for (const r of page.items) {
      lines.push(
        [
          zonedDateTime(new Date(r.at), zone),
          r.actor?.name ?? r.actor?.id ?? '',
          r.actorKind,
          r.action,
          r.targetType,
          r.targetId,
          r.before,
          r.after,
        ]
          .map(csvCell)
          .join(','),
      )
    }
    rows += page.items.length
    before = page.nextBefore ?? undefined
  } while (before && rows < MAX_ROWS)
  await withTransaction(ctx, async (_tx, c) =>
    recordAudit(c, {
      action: 'audit.export',
      targetType: 'audit_log',
      targetId: c.tenantId,
      meta: { rows, filters: { ...input } },
    }),
  )
  return { csv: `\uFEFF${lines.join('\r\n')}\r\n`, rows }
}
