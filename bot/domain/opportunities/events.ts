import type { ServiceContext } from '../context'
import { emit } from '../outbox'

/** Job: tell an opportunity's new owner it was assigned to them (card built by the job). */
export const OPPORTUNITY_ASSIGNED = 'sales.opportunity.assigned'
/** Job: tell the owner an opportunity's expected close date moved later. */
export const OPPORTUNITY_SLIPPED = 'sales.opportunity.slipped'

export async function announceAssigned(
  ctx: ServiceContext,
  opportunityId: string,
  ownerId: string,
  byId: string | null,
): Promise<void> {
  if (ownerId === byId) return
  await emit(ctx, {
    topic: OPPORTUNITY_ASSIGNED,
    payload: { tenantId: ctx.tenantId, opportunityId, ownerId, byId },
  })
}

export async function announceSlipped(
  ctx: ServiceContext,
  opportunityId: string,
  from: string,
  to: string,
): Promise<void> {
  await emit(ctx, {
    topic: OPPORTUNITY_SLIPPED,
    payload: { tenantId: ctx.tenantId, opportunityId, from, to },
  })
}
