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
