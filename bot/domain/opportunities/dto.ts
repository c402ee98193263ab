import { and, eq, inArray, type SQL } from 'drizzle-orm'
import type { ProbabilityFactor } from '../../../db/schema'
import { closeReasons, customers, departments, opportunities, stages, users } from '../../../db/schema'
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
    return dtoOf(r, {
      customerName: cust.get(r.customerId) ?? '',
      stage: {
        name: s?.name ?? '',
        nameEn: s?.nameEn ?? null,
        probability: s?.probability ?? 0,
        kind: s?.kind ?? 'open',
      },
      owner: {
        name: labels.get(r.ownerId)?.name ?? '',
        department: labels.get(r.ownerId)?.department ?? null,
      },
      reasonName: r.closeReasonId ? (rsn.get(r.closeReasonId) ?? '') : '',
    })
  })
}

/**
 * Opportunities as DTOs in one statement: customer, stage, owner (with department) and close reason are
 * joined into the page query instead of read in a second round. `where` must scope by tenant (the
 * caller's visibility filter does).
 */
export async function selectOpportunityDtos(
  ctx: ServiceContext,
  where: SQL,
  order: SQL[],
  page: { limit: number; offset?: number },
): Promise<OpportunityDto[]> {
  return opportunityDtosOf(await opportunityDtoQuery(ctx, where, order, page))
}

/** The statement of `selectOpportunityDtos`, to run (or prepare once and reuse, `cachedStatement`). */
export function opportunityDtoQuery(
  ctx: ServiceContext,
  where: SQL,
  order: SQL[],
  page: { limit: number; offset?: number },
) {
  const t = ctx.tenantId
  return ctx.db
    .select({
      o: opportunities,
      customerName: customers.name,
      stageName: stages.name,
      stageNameEn: stages.nameEn,
      stageProbability: stages.probability,
      stageKind: stages.kind,
      ownerName: users.name,
      ownerDepartment: departments.name,
      reasonName: closeReasons.name,
    })
    .from(opportunities)
    .leftJoin(customers, and(eq(customers.tenantId, t), eq(customers.id, opportunities.customerId)))
    .leftJoin(stages, and(eq(stages.tenantId, t), eq(stages.id, opportunities.stageId)))
    .leftJoin(users, and(eq(users.tenantId, t), eq(users.id, opportunities.ownerId)))
    .leftJoin(departments, eq(departments.id, users.departmentId))
    .leftJoin(
      closeReasons,
      and(eq(closeReasons.tenantId, t), eq(closeReasons.id, opportunities.closeReasonId)),
    )
    .where(where)
    .orderBy(...order)
    .limit(page.limit)
    .offset(page.offset ?? 0)
}

export type OpportunityDtoRow = Awaited<ReturnType<typeof opportunityDtoQuery>>[number]

export function opportunityDtosOf(rows: OpportunityDtoRow[]): OpportunityDto[] {
  return rows.map((r) =>
    dtoOf(r.o, {
      customerName: r.customerName ?? '',
      stage: {
        name: r.stageName ?? '',
        nameEn: r.stageNameEn,
        probability: r.stageProbability ?? 0,
        kind: r.stageKind ?? 'open',
      },
      owner: { name: r.ownerName ?? '', department: r.ownerDepartment },
      reasonName: r.reasonName ?? '',
    }),
  )
}

interface Names {
  customerName: string
  stage: { name: string; nameEn: string | null; probability: number; kind: 'open' | 'won' | 'lost' }
  owner: { name: string; department: string | null }
  reasonName: string
}

function dtoOf(r: OpportunityRow, n: Names): OpportunityDto {
  return {
    id: r.id,
    name: r.name,
    customer: { id: r.customerId, name: n.customerName },
    stageSetId: r.stageSetId,
    stage: { id: r.stageId, ...n.stage },
    status: r.status,
    amountCents: r.amountCents,
    amountSource: r.amountSource,
    expectedCloseDate: r.expectedCloseDate,
    owner: { id: r.ownerId, ...n.owner },
    teamIds: r.teamIds,
    competitors: r.competitors,
    channel: r.channel,
    campaign: r.campaign,
    leadId: r.leadId,
    closeReason: r.closeReasonId ? { id: r.closeReasonId, name: n.reasonName } : null,
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
}

export async function toOpportunityDto(ctx: ServiceContext, row: OpportunityRow): Promise<OpportunityDto> {
  const [dto] = await toOpportunityDtos(ctx, [row])
  if (!dto) throw new Error('opportunity dto')
  return dto
}
