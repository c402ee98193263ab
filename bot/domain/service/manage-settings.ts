import { and, asc, eq, inArray } from 'drizzle-orm'
import { serviceDispatchRules, serviceSettings, users } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { requireTenantUsers } from '../crm/create-customer'
import { NotFoundError } from '../errors'
import { requirePermission } from '../org/permissions'
import type { DispatchRuleRow } from './internal/dispatch'
import { forgetIntakeCodes } from './public-intake'
import { dispatchRuleInput, parseInput, serviceSettingsInput } from './schemas'
import { loadServiceSettings, type ServiceSettings } from './settings'

/** The tenant's service settings (the defaults until changed); anyone may read the types. */
export async function getServiceSettings({ ctx }: { ctx: ServiceContext }): Promise<ServiceSettings> {
  return loadServiceSettings(ctx.db, ctx.tenantId)
}

/** Changes the service settings (types, SLA per priority, working hours, low-rating threshold). */
export async function updateServiceSettings({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: unknown
}): Promise<ServiceSettings> {
  await requirePermission(ctx, 'service.manage')
  const data = parseInput(serviceSettingsInput, input)
  const saved = await withTransaction(ctx, async (_tx, txCtx) => {
    const before = await loadServiceSettings(txCtx.db, txCtx.tenantId)
    const next: ServiceSettings = {
      types: data.types ?? before.types,
      sla: data.sla ?? before.sla,
      workingHours: data.workingHours === undefined ? before.workingHours : data.workingHours,
      lowRating: data.lowRating ?? before.lowRating,
      formRateLimit: data.formRateLimit ?? before.formRateLimit,
    }
    const now = txCtx.clock.now()
    await txCtx.db
      .insert(serviceSettings)
      .values({ tenantId: txCtx.tenantId, ...next, updatedAt: now })
      .onConflictDoUpdate({ target: serviceSettings.tenantId, set: { ...next, updatedAt: now } })
    await recordAudit(txCtx, {
      action: 'service.settings.update',
      targetType: 'service_settings',
      targetId: txCtx.tenantId,
      before,
      after: next,
    })
    return next
  })
  // The public form reads the settings with its code: this process sees the change at once.
  forgetIntakeCodes(ctx.tenantId)
  return saved
}

/** The dispatch rules in order, each member with their name (null for someone no longer in the tenant). */
export type NamedDispatchRule = Omit<DispatchRuleRow, 'members'> & {
  members: Array<DispatchRuleRow['members'][number] & { name: string | null }>
}

export async function listDispatchRules({ ctx }: { ctx: ServiceContext }): Promise<NamedDispatchRule[]> {
  await requirePermission(ctx, 'service.manage')
  const rules = await ctx.db
    .select()
    .from(serviceDispatchRules)
    .where(eq(serviceDispatchRules.tenantId, ctx.tenantId))
    .orderBy(asc(serviceDispatchRules.position), asc(serviceDispatchRules.createdAt))
  return withMemberNames(ctx, rules)
}

/** Rules with each member's name (null for someone no longer in the tenant). */
async function withMemberNames(ctx: ServiceContext, rules: DispatchRuleRow[]): Promise<NamedDispatchRule[]> {
  const ids = [...new Set(rules.flatMap((r) => r.members.map((m) => m.userId)))]
  const people =
    ids.length === 0
      ? []
      : await ctx.db
          .select({ id: users.id, name: users.name })
          .from(users)
          .where(and(eq(users.tenantId, ctx.tenantId), inArray(users.id, ids)))
  const nameOf = new Map(people.map((p) => [p.id, p.name]))
  return rules.map((r) => ({
    ...r,
    members: r.members.map((m) => ({ ...m, name: nameOf.get(m.userId) ?? null })),
  }))
}

/** Adds a dispatch rule (members must be active people of the tenant). */
export async function createDispatchRule({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: unknown
}): Promise<NamedDispatchRule> {
  await requirePermission(ctx, 'service.manage')
  const data = parseInput(dispatchRuleInput, input)
  const created = await withTransaction(ctx, async (_tx, txCtx) => {
    await requireTenantUsers(
      txCtx,
      data.members.map((m) => m.userId),
      'members',
    )
    const [row] = await txCtx.db
      .insert(serviceDispatchRules)
      .values({
        id: newId('sdr'),
        tenantId: txCtx.tenantId,
        name: data.name,
        position: data.position ?? 0,
        active: data.active ?? true,
        match: data.match ?? {},
        method: data.method ?? 'round_robin',
        members: data.members,
        workingHours: data.workingHours ?? null,
      })
      .returning()
    if (!row) throw new Error('insert returned nothing')
    await recordAudit(txCtx, {
      action: 'service.rule.create',
      targetType: 'service_dispatch_rule',
      targetId: row.id,
      after: { name: row.name, method: row.method },
    })
    return row
  })
  // Named like the list, so a page can show the new rule as it is without reading the list again.
  const [named] = await withMemberNames(ctx, [created])
  return named ?? { ...created, members: created.members.map((m) => ({ ...m, name: null })) }
}

export async function deleteDispatchRule({ ctx, ruleId }: { ctx: ServiceContext; ruleId: string }) {
  await requirePermission(ctx, 'service.manage')
  await withTransaction(ctx, async (_tx, txCtx) => {
    const [row] = await txCtx.db
      .delete(serviceDispatchRules)
      .where(and(eq(serviceDispatchRules.tenantId, txCtx.tenantId), eq(serviceDispatchRules.id, ruleId)))
      .returning()
    if (!row) throw new NotFoundError('dispatch rule', ruleId)
    await recordAudit(txCtx, {
      action: 'service.rule.delete',
      targetType: 'service_dispatch_rule',
      targetId: ruleId,
      before: { name: row.name },
    })
  })
}
