import { and, eq } from 'drizzle-orm'
import { approvalTemplates } from '../../../db/schema'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { NotFoundError } from '../errors'
import { requireApprovalAdmin } from './store'

/**
 * Disables a template (nobody can start it any more; running requests go on) or enables it again.
 * Needs `approvals.admin`.
 */
export async function setTemplateActive({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: { key: string; active: boolean }
}): Promise<{ key: string; active: boolean; version: number }> {
  return withTransaction(ctx, async (_tx, c) => {
    await requireApprovalAdmin(c)
    const [row] = await c.db
      .update(approvalTemplates)
      .set({ active: input.active, updatedAt: c.clock.now() })
      .where(and(eq(approvalTemplates.tenantId, c.tenantId), eq(approvalTemplates.key, input.key)))
      .returning({ id: approvalTemplates.id, version: approvalTemplates.currentVersion })
    if (!row) throw new NotFoundError('approval template', input.key)
    await recordAudit(c, {
      action: input.active ? 'approval.template.enable' : 'approval.template.disable',
      targetType: 'approval_template',
      targetId: row.id,
      after: { key: input.key, active: input.active },
    })
    return { key: input.key, active: input.active, version: row.version }
  })
}
