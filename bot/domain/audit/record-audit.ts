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

/** The audit rows of `entries` as the JSON parameter of {@link insertAuditFrom}. */
export function auditRowsJson(ctx: ServiceContext, entries: AuditEntry[]): string {
  const kind = ctx.actor.kind === 'user' ? ctx.actor.via : 'system'
  const who = actorId(ctx.actor)
  return JSON.stringify(
    entries.map((e) => ({
      tenant_id: ctx.tenantId,
      actor_kind: kind,
      actor_id: who,
      action: e.action,
      target_type: e.targetType,
      target_id: e.targetId,
      before: e.before ?? null,
      after: e.after ?? null,
      meta: e.meta ?? null,
    })),
  )
}

/**
 * An `insert into audit_log` for a CTE of a batch statement, of the rows in `rows` (a JSON parameter from
 * {@link auditRowsJson}, or a placeholder for it): the statement's text stays the same whatever their number.
 * JSON `null` in a jsonb column is SQL NULL (`nullif`), as the ORM's inserts write it.
 */
export function insertAuditFrom(rows: unknown): SQL {
  return sql`insert into audit_log (tenant_id, actor_kind, actor_id, action, target_type, target_id, before, after, meta)
    select tenant_id, actor_kind, actor_id, action, target_type, target_id,
           nullif(before, 'null'::jsonb), nullif(after, 'null'::jsonb), nullif(meta, 'null'::jsonb)
    from jsonb_to_recordset(${rows}::jsonb) as x(
      tenant_id text, actor_kind text, actor_id text, action text, target_type text, target_id text,
      before jsonb, after jsonb, meta jsonb)`
}

/** {@link insertAuditFrom} with `entries` as its parameter. */
export function insertAuditSql(ctx: ServiceContext, entries: AuditEntry[]): SQL {
  return insertAuditFrom(auditRowsJson(ctx, entries))
}
