import { and, desc, eq, type SQL } from 'drizzle-orm'
import {
  contacts,
  contracts,
  customerCollaborators,
  fieldHistory,
  followUps,
  opportunities,
  payments,
  visits,
} from '../../../db/schema'
import { listApprovalsForRecord, type RecordApproval } from '../approvals/references'
import type { ServiceContext } from '../context'
import { visibleContracts } from '../contracts/access'
import { type ContractDto, selectContractDtos } from '../contracts/dto'
import { visibleOpportunities } from '../opportunities/access'
import { type OpportunityDto, selectOpportunityDtos } from '../opportunities/dto'
import { type PaymentDto, selectPaymentDtos } from '../payments/record-payment'
import { type CustomerService, customerService } from '../service/customer-service'
import { loadCrmAccess, requireCustomer, userLabels } from './access'
import type { ContactRow } from './add-contact'
import type { FollowUpRow } from './create-follow-up'
import { type CustomerDto, toCustomerDto } from './dto'
import { getRelationGraph, type RelationGraph } from './relations'
import { toVisitDto, type VisitDto } from './visits'

export interface TimelineEntry {
  at: string
  kind: 'follow_up' | 'visit' | 'change' | 'created' | 'opportunity' | 'contract' | 'payment' | 'ticket'
  id: string
  actor: { id: string; name: string } | null
  title: string
  detail: string | null
}

export interface CustomerCard {
  customer: CustomerDto
  collaborators: Array<{ id: string; name: string; department: string | null }>
  contacts: ContactRow[]
  followUps: Array<FollowUpRow & { author: { id: string; name: string } | null }>
  /** Each with who made it (a manager reading a rep's visits). */
  visits: Array<VisitDto & { visitor: { id: string; name: string } | null }>
  relations: RelationGraph
  timeline: TimelineEntry[]
  /** Opportunities, contracts and payments (回款) of the customer inside the caller's data scope. */
  opportunities: OpportunityDto[]
  contracts: ContractDto[]
  payments: PaymentDto[]
  /** Approvals whose form names this customer (approvals' `customer` field), newest first. */
  approvals: RecordApproval[]
  /** After-sales service: open tickets, the latest ones in the caller's scope, the last rating. */
  service: CustomerService
}

const RECENT = 20
/** Sales sections show up to this many records each. */
const SALES_RECENT = 100

/** Everything about a customer in one call: the card the mini-app opens. */
export async function getCustomerCard({
  ctx,
  customerId,
}: {
  ctx: ServiceContext
  customerId: string
}): Promise<CustomerCard> {
  // The service section loads its own access: it starts at once, beside the CRM access.
  const servicePromise = customerService(ctx, customerId)
  servicePromise.catch(() => undefined) // handled below; an earlier failure must not leave it unhandled
  const access = await loadCrmAccess(ctx)
  const t = ctx.tenantId
  // One round of parallel reads, the customer's own row among them (a hidden customer is a 404 whatever
  // the other reads found), the relation graph chained after it, then one read of user names: the card's
  // latency is its number of sequential rounds. Sales sections come with their names joined in.
  const rowPromise = requireCustomer(ctx, access, customerId)
  const [
    row,
    contactRows,
    followRows,
    visitRows,
    history,
    collabRows,
    relations,
    approvals,
    oppDtos,
    ctrDtos,
    payDtos,
    service,
  ] = await Promise.all([
    rowPromise,
    ctx.db
      .select()
      .from(contacts)
      .where(and(eq(contacts.tenantId, t), eq(contacts.customerId, customerId)))
      .orderBy(desc(contacts.isPrimary), contacts.createdAt)
      .limit(200),
    ctx.db
      .select()
      .from(followUps)
      .where(and(eq(followUps.tenantId, t), eq(followUps.customerId, customerId)))
      .orderBy(desc(followUps.createdAt))
      .limit(RECENT),
    ctx.db
      .select()
      .from(visits)
      .where(and(eq(visits.tenantId, t), eq(visits.customerId, customerId)))
      .orderBy(desc(visits.createdAt))
      .limit(RECENT),
    ctx.db
      .select()
      .from(fieldHistory)
      .where(
        and(
          eq(fieldHistory.tenantId, t),
          eq(fieldHistory.entityType, 'customer'),
          eq(fieldHistory.entityId, customerId),
        ),
      )
      .orderBy(desc(fieldHistory.at))
      .limit(RECENT),
    ctx.db
      .select({ userId: customerCollaborators.userId })
      .from(customerCollaborators)
      .where(and(eq(customerCollaborators.tenantId, t), eq(customerCollaborators.customerId, customerId))),
    rowPromise.then((root) => getRelationGraph({ ctx, customerId: root.id, depth: 2, access, root })),
    listApprovalsForRecord(ctx, 'customer', customerId),
    selectOpportunityDtos(
      ctx,
      and(visibleOpportunities(ctx, access), eq(opportunities.customerId, customerId)) as SQL,
      [desc(opportunities.updatedAt)],
      { limit: SALES_RECENT },
    ),
    selectContractDtos(
      ctx,
      and(visibleContracts(ctx, access), eq(contracts.customerId, customerId)) as SQL,
      [desc(contracts.createdAt)],
      { limit: SALES_RECENT },
    ),
    // Payments only of the contracts the caller may see, allocations aggregated in the same statement.
    selectPaymentDtos(
      ctx,
      and(
        eq(payments.tenantId, t),
        eq(payments.customerId, customerId),
        visibleContracts(ctx, access),
      ) as SQL,
      SALES_RECENT,
    ),
    servicePromise,
  ])
  const labels = await userLabels(ctx, [
    row.ownerId,
    ...followRows.map((f) => f.authorId),
    ...visitRows.map((v) => v.userId),
    ...history.map((h) => h.actorId),
    ...collabRows.map((c) => c.userId),
  ])
  const contractNumber = new Map(ctrDtos.map((c) => [c.id, c.number]))
  const who = (id: string | null) => (id ? { id, name: labels.get(id)?.name ?? '' } : null)
  const timeline: TimelineEntry[] = [
    ...followRows.map((f) => ({
      at: f.createdAt.toISOString(),
      kind: 'follow_up' as const,
      id: f.id,
      actor: who(f.authorId),
      title: f.kind,
      detail: f.content,
    })),
    ...visitRows.map((v) => ({
      at: (v.checkInAt ?? v.plannedAt ?? v.createdAt).toISOString(),
      kind: 'visit' as const,
      id: v.id,
      actor: who(v.userId),
      title: v.status,
      detail: v.summary ?? v.purpose,
    })),
    ...history.map((h) => ({
      at: h.at.toISOString(),
      kind: 'change' as const,
      id: String(h.id),
      actor: who(h.actorId),
      title: h.field,
      detail: JSON.stringify(h.newValue),
    })),
    ...oppDtos.map((o) => ({
      at: o.updatedAt,
      kind: 'opportunity' as const,
      id: o.id,
      actor: { id: o.owner.id, name: o.owner.name },
      title: o.name,
      detail: `${o.stage.name} · ${o.amountCents / 100}`,
    })),
    ...ctrDtos.map((c) => ({
      at: c.activatedAt ?? c.createdAt,
      kind: 'contract' as const,
      id: c.id,
      actor: { id: c.owner.id, name: c.owner.name },
      title: `${c.number} ${c.name}`,
      detail: c.status,
    })),
    ...payDtos.map((p) => ({
      at: p.createdAt,
      kind: 'payment' as const,
      id: p.id,
      actor: null,
      title: contractNumber.get(p.contractId) ?? p.contractId,
      detail: `${p.receivedOn} · ${p.amountCents / 100}`,
    })),
    ...service.recent.map((k) => ({
      at: k.createdAt,
      kind: 'ticket' as const,
      id: k.id,
      actor: k.ownerId ? { id: k.ownerId, name: k.ownerName ?? '' } : null,
      title: `${k.number} ${k.subject}`,
      detail: k.status,
    })),
  ].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))
  return {
    customer: toCustomerDto(row, labels),
    collaborators: collabRows.map((c) => ({
      id: c.userId,
      name: labels.get(c.userId)?.name ?? '',
      department: labels.get(c.userId)?.department ?? null,
    })),
    contacts: contactRows,
    followUps: followRows.map((f) => ({ ...f, author: who(f.authorId) })),
    visits: visitRows.map((v) => ({ ...toVisitDto(v), visitor: who(v.userId) })),
    relations,
    timeline: timeline.slice(0, 50),
    opportunities: oppDtos,
    contracts: ctrDtos,
    payments: payDtos,
    approvals,
    service,
  }
}
