import { leadSettings } from '../../../db/schema'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { requirePermission } from '../org/permissions'
import { leadSettingsInput, parseInput } from './schemas'
import { type LeadSettings, loadLeadSettings } from './settings'

/** Changes the tenant's invalid reasons, SLA minutes, recycling days or form rate limit (lead managers). */
export async function updateLeadSettings({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: unknown
}): Promise<LeadSettings> {
  const data = parseInput(leadSettingsInput, input)
  return withTransaction(ctx, async (_tx, txCtx) => {
    await requirePermission(txCtx, 'crm.leads.manage')
    const before = await loadLeadSettings(txCtx.db, txCtx.tenantId)
    const next: LeadSettings = {
      invalidReasons: data.invalidReasons ?? before.invalidReasons,
      slaMinutes: data.slaMinutes ?? before.slaMinutes,
      recycleAfterDays: data.recycleAfterDays ?? before.recycleAfterDays,
      formRateLimit: data.formRateLimit ?? before.formRateLimit,
    }
    const now = txCtx.clock.now()
    await txCtx.db
      .insert(leadSettings)
      .values({ tenantId: txCtx.tenantId, ...next, updatedAt: now })
      .onConflictDoUpdate({ target: leadSettings.tenantId, set: { ...next, updatedAt: now } })
    await recordAudit(txCtx, {
      action: 'crm.leads.settings',
      targetType: 'tenant',
      targetId: txCtx.tenantId,
      before,
      after: next,
    })
    return next
  })
}

export async function getLeadSettings({ ctx }: { ctx: ServiceContext }): Promise<LeadSettings> {
  return loadLeadSettings(ctx.db, ctx.tenantId)
}
