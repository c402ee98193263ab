import { and, asc, eq, isNull, sql } from 'drizzle-orm'
import { leadChannels, leads } from '../../../db/schema'
import { actorId, type ServiceContext } from '../context'

export interface MyLeadTodo {
  id: string
  name: string
  company: string | null
  channelName: string
  slaDueAt: string | null
  /** The first-contact deadline has passed (breached, or due and not yet flagged). */
  overdue: boolean
}

/** My leads not contacted yet, the most urgent (earliest first-contact deadline) first: the home page list. */
export async function listMyNewLeads({
  ctx,
  limit = 20,
}: {
  ctx: ServiceContext
  limit?: number
}): Promise<MyLeadTodo[]> {
  const me = actorId(ctx.actor)
  if (!me) return []
  const now = ctx.clock.now()
  const rows = await ctx.db
    .select({
      id: leads.id,
      name: leads.name,
      company: leads.company,
      channelName: leadChannels.name,
      slaDueAt: leads.slaDueAt,
      slaState: leads.slaState,
    })
    .from(leads)
    .innerJoin(leadChannels, eq(leadChannels.id, leads.channelId))
    .where(
      and(
        eq(leads.tenantId, ctx.tenantId),
        eq(leads.ownerId, me),
        eq(leads.status, 'new'),
        isNull(leads.mergedIntoId),
      ),
    )
    .orderBy(sql`${leads.slaDueAt} asc nulls last`, asc(leads.createdAt))
    .limit(limit)
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    company: r.company,
    channelName: r.channelName,
    slaDueAt: r.slaDueAt ? r.slaDueAt.toISOString() : null,
    overdue: r.slaState === 'breached' || (r.slaState === 'pending' && !!r.slaDueAt && r.slaDueAt < now),
  }))
}
