import { type SQL, sql } from 'drizzle-orm'
import { auditLog } from '../../../db/schema'
import { actorId, type ServiceContext } from '../context'

export interface AuditEntry {
  action: string
  targetType: string
  targetId: string
  before?: unknown
  after?: unknown
  meta?: Record<string, unknown>
}

/** Appends to the audit log; call inside the mutation's transaction so both commit together. */
export async function recordAudit(ctx: ServiceContext, entry: AuditEntry): Promise<void> {
  await recordAudits(ctx, [entry])
}

/** {@link recordAudit} for many entries in one insert (a batch write). */
export async function recordAudits(ctx: ServiceContext, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return
  await ctx.db.insert(auditLog).values(
    entries.map((entry) => ({
      tenantId: ctx.tenantId,
      actorKind: ctx.actor.kind === 'user' ? ctx.actor.via : 'system',
      actorId: actorId(ctx.actor),
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId,
      before: entry.before ?? null,
      after: entry.after ?? null,
      meta: entry.meta ?? null,
    })),
  )
}

/**
 * An `insert into audit_log` of `entries` for a CTE of a batch statement: the rows travel as one JSON
 * parameter, so the statement's text stays the same whatever their number. JSON `null` in a jsonb column is
 * SQL NULL (`nullif`), as the ORM's inserts write it.
 */
export function insertAuditSql(ctx: ServiceContext, entries: AuditEntry[]): SQL {
  const rows = entries.map((e) => ({
    action: e.action,
    target_type: e.targetType,
    target_id: e.targetId,
    before: e.before ?? null,
    after: e.after ?? null,
    meta: e.meta ?? null,
  }))
  const kind = ctx.actor.kind === 'user' ? ctx.actor.via : 'system'
  return sql`insert into audit_log (tenant_id, actor_kind, actor_id, action, target_type, target_id, before, after, meta)
    select ${ctx.tenantId}::text, ${kind}::text, ${actorId(ctx.actor)}::text, action, target_type, target_id,
           nullif(before, 'null'::jsonb), nullif(after, 'null'::jsonb), nullif(meta, 'null'::jsonb)
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(
      action text, target_type text, target_id text, before jsonb, after jsonb, meta jsonb)`
}
