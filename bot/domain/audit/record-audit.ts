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
  await ctx.db.insert(auditLog).values({
    tenantId: ctx.tenantId,
    actorKind: ctx.actor.kind === 'user' ? ctx.actor.via : 'system',
    actorId: actorId(ctx.actor),
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    before: entry.before ?? null,
    after: entry.after ?? null,
    meta: entry.meta ?? null,
  })
}
