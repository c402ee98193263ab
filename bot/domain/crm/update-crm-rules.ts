import { and, eq, isNotNull, sql } from 'drizzle-orm'
import { crmRules, customers } from '../../../db/schema'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { ForbiddenError } from '../errors'
import { loadCrmAccess } from './access'
import { type CrmRules, loadRules } from './rules'
import { parseInput, type RulesInput, rulesInput } from './schemas'

export async function getCrmRules({ ctx }: { ctx: ServiceContext }): Promise<CrmRules> {
  return loadRules(ctx.db, ctx.tenantId)
}

/**
 * Saves the tenant's pool rules and check-in threshold (managers only) and recomputes every owned
 * customer's reclaim deadline from its last activity under the new rules.
 */
export async function updateCrmRules({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: RulesInput
}): Promise<CrmRules> {
  const data = parseInput(rulesInput, input)
  return withTransaction(ctx, async (_tx, txCtx) => {
    const access = await loadCrmAccess(txCtx)
    if (!access.canManage || access.scope !== 'all')
      throw new ForbiddenError('only admins may change CRM rules')
    const before = await loadRules(txCtx.db, txCtx.tenantId)
    const rules = { ...data, paymentApproval: data.paymentApproval ?? before.paymentApproval }
    await txCtx.db
      .insert(crmRules)
      .values({ tenantId: txCtx.tenantId, ...rules })
      .onConflictDoUpdate({ target: crmRules.tenantId, set: { ...rules, updatedAt: txCtx.clock.now() } })
    const due =
      data.reclaimAfterDays > 0
        ? sql`greatest(${customers.ownedSince}, coalesce(${customers.lastFollowedUpAt}, ${customers.ownedSince}))
            + make_interval(days => ${data.reclaimAfterDays} + case when ${customers.reclaimExtendedAt} is null then 0 else ${data.extendDays} end)`
        : sql`null`
    await txCtx.db
      .update(customers)
      .set({ reclaimDueAt: due })
      .where(and(eq(customers.tenantId, txCtx.tenantId), isNotNull(customers.ownerId)))
    await recordAudit(txCtx, {
      action: 'crm.rules.update',
      targetType: 'crm_rules',
      targetId: txCtx.tenantId,
      before,
      after: rules,
    })
    return loadRules(txCtx.db, txCtx.tenantId)
  })
}
