import { and, eq, sql } from 'drizzle-orm'
import { fieldHistory, opportunities } from '../../../db/schema'
import { recordAudit } from '../audit/record-audit'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { loadCrmAccess } from '../crm/access'
import { requireTenantUsers } from '../crm/create-customer'
import { ConflictError, ForbiddenError, InvalidTransitionError } from '../errors'
import { requireOpportunity } from './access'
import { type OpportunityDto, toOpportunityDto } from './dto'
import { announceAssigned, announceSlipped } from './events'
import { resolveLineItems, writeLineItems } from './line-items'
import { parseInput, type UpdateOpportunityInput, updateOpportunityInput } from './schemas'

const TRACKED = [
  'name',
  'amountCents',
  'amountSource',
  'expectedCloseDate',
  'ownerId',
  'teamIds',
  'competitors',
  'channel',
  'campaign',
  'leadId',
] as const
type Tracked = (typeof TRACKED)[number]

/**
 * Edits an open opportunity the caller may see; every changed field goes to the field history (the same
 * history as customers). A later expected close date counts as a slip and tells the owner; a new owner
 * (managers only) gets an assignment card. `version` refuses an edit based on a stale copy.
 */
export async function updateOpportunity({
  ctx,
  opportunityId,
  input,
}: {
  ctx: ServiceContext
  opportunityId: string
  input: UpdateOpportunityInput
}): Promise<OpportunityDto> {
  const data = parseInput(updateOpportunityInput, input)
  return withTransaction(ctx, async (_tx, c) => {
    const access = await loadCrmAccess(c)
    const current = await requireOpportunity(c, access, opportunityId, { forUpdate: true })
    if (data.version !== undefined && data.version !== current.version)
      throw new ConflictError('opportunity was changed by someone else; reload and retry', {
        currentVersion: current.version,
      })
    if (current.status !== 'open')
      throw new InvalidTransitionError(`opportunity is ${current.status}; reopen it first`)
    const me = actorId(c.actor)
    const next: Partial<Record<Tracked, unknown>> = {}
    for (const k of TRACKED) {
      const v = (data as Record<string, unknown>)[k]
      if (v !== undefined) next[k] = v
    }
    if (data.items) {
      const resolved = await resolveLineItems(c, data.items)
      await writeLineItems(c, 'opportunity', current.id, resolved.items)
      next.amountCents = resolved.totalCents
      next.amountSource = resolved.items.length ? 'items' : 'manual'
    } else if (data.amountCents !== undefined) {
      next.amountSource = 'manual'
    }
    if (next.ownerId !== undefined && next.ownerId !== current.ownerId) {
      if (!access.canManage) throw new ForbiddenError('only managers may reassign an opportunity')
      await requireTenantUsers(c, [String(next.ownerId)], 'ownerId')
    }
    if (data.teamIds) {
      next.teamIds = [...new Set(data.teamIds)]
      await requireTenantUsers(c, data.teamIds, 'teamIds')
    }
    const changes = TRACKED.filter(
      (k) => k in next && JSON.stringify(next[k] ?? null) !== JSON.stringify(current[k] ?? null),
    )
    if (changes.length === 0) return toOpportunityDto(c, current)
    const now = c.clock.now()
    const slipped =
      changes.includes('expectedCloseDate') &&
      current.expectedCloseDate !== null &&
      typeof next.expectedCloseDate === 'string' &&
      next.expectedCloseDate > current.expectedCloseDate
    const set: Record<string, unknown> = Object.fromEntries(changes.map((k) => [k, next[k] ?? null]))
    const [row] = await c.db
      .update(opportunities)
      .set({
        ...set,
        ...(slipped ? { closeDateSlips: sql`${opportunities.closeDateSlips} + 1` } : {}),
        lastActivityAt: now,
        version: sql`${opportunities.version} + 1`,
        updatedAt: now,
      })
      .where(and(eq(opportunities.tenantId, c.tenantId), eq(opportunities.id, current.id)))
      .returning()
    if (!row) throw new Error('opportunity update returned nothing')
    await c.db.insert(fieldHistory).values(
      changes.map((field) => ({
        tenantId: c.tenantId,
        entityType: 'opportunity',
        entityId: current.id,
        field,
        oldValue: (current[field] ?? null) as never,
        newValue: (next[field] ?? null) as never,
        actorId: me,
        at: now,
      })),
    )
    await recordAudit(c, {
      action: 'sales.opportunity.update',
      targetType: 'opportunity',
      targetId: current.id,
      meta: { fields: changes },
    })
    if (changes.includes('ownerId')) await announceAssigned(c, row.id, row.ownerId, me)
    if (slipped && current.expectedCloseDate && row.expectedCloseDate)
      await announceSlipped(c, row.id, current.expectedCloseDate, row.expectedCloseDate)
    return toOpportunityDto(c, row)
  })
}
