import { and, eq, inArray } from 'drizzle-orm'
import type { ProbabilityFactor } from '../../../db/schema'
import { closeReasons, customers, stages } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { userLabels } from '../crm/access'
import type { OpportunityRow } from './access'

export interface OpportunityDto {
  id: string
  name: string
  customer: { id: string; name: string }
  stageSetId: string
  stage: {
    id: string
    name: string
    nameEn: string | null
    probability: number
    kind: 'open' | 'won' | 'lost'
  }
  status: 'open' | 'won' | 'lost'
  amountCents: number
  amountSource: 'items' | 'manual'
  expectedCloseDate: string | null
  owner: { id: string; name: string; department: string | null }
  teamIds: string[]
  competitors: string[]
  channel: string | null
  campaign: string | null
  leadId: string | null
  closeReason: { id: string; name: string } | null
  closeNote: string | null
  closedAt: string | null
  stageEnteredAt: string
  lastActivityAt: string
  closeDateSlips: number
  winProbability: number
  probabilityFactors: ProbabilityFactor[]
  version: number
  createdAt: string
  updatedAt: string
}

/** DTOs for rows, with customer, stage, owner and reason names loaded in one query each. */
export async function toOpportunityDtos(
  ctx: ServiceContext,
  rows: OpportunityRow[],
): Promise<OpportunityDto[]> {
  if (rows.length === 0) return []
  const t = ctx.tenantId
  const uniq = (xs: Array<string | null>) => [...new Set(xs.filter((x): x is string => Boolean(x)))]
  const reasonIds = uniq(rows.map((r) => r.closeReasonId))
  const [custRows, stageRows, reasonRows, labels] = await Promise.all([
    ctx.db
      .select({ id: customers.id, name: customers.name })
      .from(customers)
      .where(and(eq(customers.tenantId, t), inArray(customers.id, uniq(rows.map((r) => r.customerId))))),
    ctx.db
      .select()
      .from(stages)
      .where(and(eq(stages.tenantId, t), inArray(stages.id, uniq(rows.map((r) => r.stageId))))),
    reasonIds.length
      ? ctx.db
          .select({ id: closeReasons.id, name: closeReasons.name })
          .from(closeReasons)
          .where(and(eq(closeReasons.tenantId, t), inArray(closeReasons.id, reasonIds)))
      : Promise.resolve([]),
    userLabels(
      ctx,
      rows.map((r) => r.ownerId),
    ),
  ])
  const cust = new Map(custRows.map((c) => [c.id, c.name]))
  const stg = new Map(stageRows.map((s) => [s.id, s]))
  const rsn = new Map(reasonRows.map((r) => [r.id, r.name]))
  return rows.map((r) => {
    const s = stg.get(r.stageId)
    return {
      id: r.id,
      name: r.name,
      customer: { id: r.customerId, name: cust.get(r.customerId) ?? '' },
      stageSetId: r.stageSetId,
      stage: {
        id: r.stageId,
        name: s?.name ?? '',
        nameEn: s?.nameEn ?? null,
        probability: s?.probability ?? 0,
        kind: s?.kind ?? 'open',
      },
      status: r.status,
      amountCents: r.amountCents,
      amountSource: r.amountSource,
      expectedCloseDate: r.expectedCloseDate,
      owner: {
        id: r.ownerId,
        name: labels.get(r.ownerId)?.name ?? '',
        department: labels.get(r.ownerId)?.department ?? null,
      },
      teamIds: r.teamIds,
      competitors: r.competitors,
      channel: r.channel,
      campaign: r.campaign,
      leadId: r.leadId,
      closeReason: r.closeReasonId ? { id: r.closeReasonId, name: rsn.get(r.closeReasonId) ?? '' } : null,
      closeNote: r.closeNote,
      closedAt: r.closedAt?.toISOString() ?? null,
      stageEnteredAt: r.stageEnteredAt.toISOString(),
      lastActivityAt: r.lastActivityAt.toISOString(),
      closeDateSlips: r.closeDateSlips,
      winProbability: r.winProbability,
      probabilityFactors: r.probabilityFactors,
      version: r.version,
      createdAt: r.createdAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
    }
  })
}

export async function toOpportunityDto(ctx: ServiceContext, row: OpportunityRow): Promise<OpportunityDto> {
  const [dto] = await toOpportunityDtos(ctx, [row])
  if (!dto) throw new Error('opportunity dto')
  return dto
}
