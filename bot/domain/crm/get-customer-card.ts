import { and, desc, eq } from 'drizzle-orm'
import { contacts, customerCollaborators, fieldHistory, followUps, visits } from '../../../db/schema'
import { listApprovalsForRecord, type RecordApproval } from '../approvals/references'
import type { ServiceContext } from '../context'
import { loadCrmAccess, requireCustomer, userLabels } from './access'
import type { ContactRow } from './add-contact'
import type { FollowUpRow } from './create-follow-up'
import { type CustomerDto, toCustomerDto } from './dto'
import { getRelationGraph, type RelationGraph } from './relations'
import { toVisitDto, type VisitDto } from './visits'

export interface TimelineEntry {
  at: string
  kind: 'follow_up' | 'visit' | 'change' | 'created'
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
  visits: VisitDto[]
  relations: RelationGraph
  timeline: TimelineEntry[]
  /** Filled by later CRM issues (leads → opportunities, contracts, payments, approvals). */
  opportunities: unknown[]
  contracts: unknown[]
  payments: unknown[]
  /** Approvals whose form names this customer (approvals' `customer` field), newest first. */
  approvals: RecordApproval[]
}

const RECENT = 20

/** Everything about a customer in one call: the card the mini-app opens. */
export async function getCustomerCard({
  ctx,
  customerId,
}: {
  ctx: ServiceContext
  customerId: string
}): Promise<CustomerCard> {
  const access = await loadCrmAccess(ctx)
  const row = await requireCustomer(ctx, access, customerId)
  const t = ctx.tenantId
  const [contactRows, followRows, visitRows, history, collabRows, relations, approvals] = await Promise.all([
    ctx.db
      .select()
      .from(contacts)
      .where(and(eq(contacts.tenantId, t), eq(contacts.customerId, row.id)))
      .orderBy(desc(contacts.isPrimary), contacts.createdAt)
      .limit(200),
    ctx.db
      .select()
      .from(followUps)
      .where(and(eq(followUps.tenantId, t), eq(followUps.customerId, row.id)))
      .orderBy(desc(followUps.createdAt))
      .limit(RECENT),
    ctx.db
      .select()
      .from(visits)
      .where(and(eq(visits.tenantId, t), eq(visits.customerId, row.id)))
      .orderBy(desc(visits.createdAt))
      .limit(RECENT),
    ctx.db
      .select()
      .from(fieldHistory)
      .where(
        and(
          eq(fieldHistory.tenantId, t),
          eq(fieldHistory.entityType, 'customer'),
          eq(fieldHistory.entityId, row.id),
        ),
      )
      .orderBy(desc(fieldHistory.at))
      .limit(RECENT),
    ctx.db
      .select({ userId: customerCollaborators.userId })
      .from(customerCollaborators)
      .where(and(eq(customerCollaborators.tenantId, t), eq(customerCollaborators.customerId, row.id))),
    getRelationGraph({ ctx, customerId: row.id, depth: 2, access }),
    listApprovalsForRecord(ctx, 'customer', row.id),
  ])
  const labels = await userLabels(ctx, [
    row.ownerId,
    ...followRows.map((f) => f.authorId),
    ...visitRows.map((v) => v.userId),
    ...history.map((h) => h.actorId),
    ...collabRows.map((c) => c.userId),
  ])
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
    visits: visitRows.map(toVisitDto),
    relations,
    timeline: timeline.slice(0, 50),
    opportunities: [],
    contracts: [],
    payments: [],
    approvals,
  }
}
