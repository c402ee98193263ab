import { and, asc, eq } from 'drizzle-orm'
import { leadAssignmentRules } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { requireTenantUsers } from '../crm/create-customer'
import { InvalidInputError, NotFoundError } from '../errors'
import { requirePermission } from '../org/permissions'
import { requireChannel } from './internal/intake-lead'
import { assignmentRuleInput, parseInput } from './schemas'

export type AssignmentRuleRow = typeof leadAssignmentRules.$inferSelect

async function validate(
  ctx: ServiceContext,
  data: ReturnType<typeof assignmentRuleInput.parse>,
): Promise<void> {
  const ids = data.members.map((m) => m.userId)
  if (new Set(ids).size !== ids.length) throw new InvalidInputError('members', 'a person is listed twice')
  await requireTenantUsers(ctx, ids, 'members')
  for (const [i, c] of (data.match?.channelIds ?? []).entries())
    await requireChannel(ctx, c, `match.channelIds.${i}`)
  if (data.workingHours && data.workingHours.end <= data.workingHours.start)
    throw new InvalidInputError('workingHours.end', 'end must be after start')
}

/** The tenant's assignment rules in the order they are tried. */
export async function listAssignmentRules({ ctx }: { ctx: ServiceContext }): Promise<AssignmentRuleRow[]> {
  return ctx.db
    .select()
    .from(leadAssignmentRules)
    .where(eq(leadAssignmentRules.tenantId, ctx.tenantId))
    .orderBy(asc(leadAssignmentRules.position), asc(leadAssignmentRules.createdAt))
}

/** Adds an assignment rule (`crm.leads.manage`): conditions, method, members with capacity, working hours. */
export async function createAssignmentRule({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: unknown
}): Promise<AssignmentRuleRow> {
  const data = parseInput(assignmentRuleInput, input)
  return withTransaction(ctx, async (_tx, txCtx) => {
    await requirePermission(txCtx, 'crm.leads.manage')
    await validate(txCtx, data)
    const now = txCtx.clock.now()
    const [row] = await txCtx.db
      .insert(leadAssignmentRules)
      .values({
        id: newId('lar'),
        tenantId: txCtx.tenantId,
        name: data.name,
        position: data.position ?? 100,
        active: data.active ?? true,
        match: data.match ?? {},
        method: data.method ?? 'round_robin',
        members: data.members,
        workingHours: data.workingHours ?? null,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
    if (!row) throw new Error('insert returned nothing')
    await recordAudit(txCtx, {
      action: 'crm.lead_rule.create',
      targetType: 'lead_rule',
      targetId: row.id,
      after: data,
    })
    return row
  })
}

/** Replaces a rule's definition (the round-robin position is kept). */
export async function updateAssignmentRule({
  ctx,
  ruleId,
  input,
}: {
  ctx: ServiceContext
  ruleId: string
  input: unknown
}): Promise<AssignmentRuleRow> {
  const data = parseInput(assignmentRuleInput, input)
  return withTransaction(ctx, async (_tx, txCtx) => {
    await requirePermission(txCtx, 'crm.leads.manage')
    await validate(txCtx, data)
    const [row] = await txCtx.db
      .update(leadAssignmentRules)
      .set({
        name: data.name,
        ...(data.position !== undefined ? { position: data.position } : {}),
        ...(data.active !== undefined ? { active: data.active } : {}),
        match: data.match ?? {},
        method: data.method ?? 'round_robin',
        members: data.members,
        workingHours: data.workingHours ?? null,
        updatedAt: txCtx.clock.now(),
      })
      .where(and(eq(leadAssignmentRules.tenantId, txCtx.tenantId), eq(leadAssignmentRules.id, ruleId)))
      .returning()
    if (!row) throw new NotFoundError('assignment rule', ruleId)
    await recordAudit(txCtx, {
      action: 'crm.lead_rule.update',
      targetType: 'lead_rule',
      targetId: ruleId,
      after: data,
    })
    return row
  })
}

export async function deleteAssignmentRule({
  ctx,
  ruleId,
}: {
  ctx: ServiceContext
  ruleId: string
}): Promise<void> {
  await withTransaction(ctx, async (_tx, txCtx) => {
    await requirePermission(txCtx, 'crm.leads.manage')
    const gone = await txCtx.db
      .delete(leadAssignmentRules)
      .where(and(eq(leadAssignmentRules.tenantId, txCtx.tenantId), eq(leadAssignmentRules.id, ruleId)))
      .returning({ id: leadAssignmentRules.id })
    if (gone.length === 0) throw new NotFoundError('assignment rule', ruleId)
    await recordAudit(txCtx, { action: 'crm.lead_rule.delete', targetType: 'lead_rule', targetId: ruleId })
  })
}
