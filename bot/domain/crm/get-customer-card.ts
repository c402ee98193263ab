import { and, desc, eq, getTableName, type SQL, sql, type Table } from 'drizzle-orm'
import { alias } from 'drizzle-orm/pg-core'
import { decodeJsonRow, jsonRowOf } from '../../../db/json-rows'
import {
  contacts,
  contracts,
  customerCollaborators,
  customers,
  departments,
  fieldHistory,
  followUps,
  opportunities,
  payments,
  users,
  visits,
} from '../../../db/schema'
import { cachedStatement } from '../../../db/statement-cache'
import { listApprovalsForRecord, type RecordApproval } from '../approvals/references'
import type { ServiceContext } from '../context'
import { visibleContracts } from '../contracts/access'
import { type ContractDto, contractDtoQuery, contractDtosOf } from '../contracts/dto'
import { NotFoundError } from '../errors'
import { visibleOpportunities } from '../opportunities/access'
import { type OpportunityDto, opportunityDtoQuery, opportunityDtosOf } from '../opportunities/dto'
import { loadUserRoles } from '../org/data-scope'
import { type PaymentDto, paymentDtoQuery, paymentDtosOf } from '../payments/record-payment'
import { type ServiceAccess, serviceAccessOf } from '../service/access'
import { type CustomerService, customerService } from '../service/customer-service'
import { type CrmAccess, crmAccessOf, loadCrmAccess, visibleCustomers } from './access'
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
  // The caller's roles read once for both accesses the card needs (CRM and service).
  let access: CrmAccess
  let serviceAccess: ServiceAccess | undefined
  if (ctx.actor.kind === 'user') {
    const roles = await loadUserRoles(ctx, ctx.actor.userId)
    access = crmAccessOf(ctx, ctx.actor.userId, roles)
    serviceAccess = serviceAccessOf(ctx, ctx.actor.userId, roles)
  } else access = await loadCrmAccess(ctx)
  const t = ctx.tenantId
  const en = ctx.locale === 'en'
  // The card's statements are built once per tenant and data scope (the key) and reused with the customer
  // as a placeholder: building them was most of the card's Node time.
  const c$ = sql.placeholder('c')
  const scopeKey = `${t}|${JSON.stringify(access)}`
  const run = <R>(
    name: string,
    scoped: boolean,
    build: () => { execute(v?: Record<string, unknown>): Promise<R> },
  ) => cachedStatement(ctx.db, `card.${name}|${scoped ? scopeKey : t}`, build).execute({ c: customerId })
  const label = (name: string | null, enName: string | null) => (en && enName) || name || ''
  // One round of parallel reads after the access, the customer's own row among them (a hidden customer is
  // a 404 whatever the other reads found, the row read with the same condition as `requireCustomer`): the
  // card's latency is its number of sequential rounds. Names (owner, authors, visitors, collaborators) are
  // joined into the reads; the sales sections come with theirs; the relation graph starts from the id.
  // The customer's row and its own sections (contacts, follow-ups, visits, changes, collaborators) are one
  // statement: each section a JSON array decoded back to its rows, so the card sends fewer statements (each
  // a socket write and a parse on its own connection).
  const [rows, relations, approvals, oppDtos, ctrDtos, payDtos, service] = await Promise.all([
    run('customer', true, () => {
      const contact = alias(contacts, 'k')
      const f = alias(followUps, 'f')
      const v = alias(visits, 'v')
      const h = alias(fieldHistory, 'h')
      const cc = alias(customerCollaborators, 'cc')
      const u = alias(users, 'u')
      const d = alias(departments, 'd')
      // An alias in FROM: the table's name and the alias (the alias object renders as its name only).
      const from = (table: Table, as: string) =>
        sql`${sql.identifier(getTableName(table))} ${sql.identifier(as)}`
      const list = (rows: SQL) => sql`coalesce((select json_agg(s.j) from (${rows}) s), '[]'::json)`
      // A row with the name of the person it names (author, visitor, who changed it).
      const named = (row: SQL) =>
        sql`json_build_object('row', ${row}, 'name', ${u.name}, 'enName', ${u.enName}) as j`
      return ctx.db
        .select({
          c: customers,
          ownerName: users.name,
          ownerEnName: users.enName,
          ownerDept: departments.name,
          contacts: list(
            sql`select ${jsonRowOf(contact)} as j from ${from(contacts, 'k')}
              where ${contact.tenantId} = ${t} and ${contact.customerId} = ${customers.id}
              order by ${contact.isPrimary} desc, ${contact.createdAt} limit 200`,
          ),
          followUps: list(
            sql`select ${named(jsonRowOf(f))} from ${from(followUps, 'f')}
              left join ${from(users, 'u')} on ${u.tenantId} = ${t} and ${u.id} = ${f.authorId}
              where ${f.tenantId} = ${t} and ${f.customerId} = ${customers.id}
              order by ${f.createdAt} desc limit ${sql.raw(String(RECENT))}`,
          ),
          visits: list(
            sql`select ${named(jsonRowOf(v))} from ${from(visits, 'v')}
              left join ${from(users, 'u')} on ${u.tenantId} = ${t} and ${u.id} = ${v.userId}
              where ${v.tenantId} = ${t} and ${v.customerId} = ${customers.id}
              order by ${v.createdAt} desc limit ${sql.raw(String(RECENT))}`,
          ),
          history: list(
            sql`select ${named(jsonRowOf(h))} from ${from(fieldHistory, 'h')}
              left join ${from(users, 'u')} on ${u.tenantId} = ${t} and ${u.id} = ${h.actorId}
              where ${h.tenantId} = ${t} and ${h.entityType} = 'customer' and ${h.entityId} = ${customers.id}
              order by ${h.at} desc limit ${sql.raw(String(RECENT))}`,
          ),
          collaborators: list(
            sql`select json_build_object('userId', ${cc.userId}, 'name', ${u.name}, 'enName', ${u.enName},
                'department', ${d.name}) as j
              from ${from(customerCollaborators, 'cc')}
              left join ${from(users, 'u')} on ${u.tenantId} = ${t} and ${u.id} = ${cc.userId}
              left join ${from(departments, 'd')} on ${d.id} = ${u.departmentId}
              where ${cc.tenantId} = ${t} and ${cc.customerId} = ${customers.id}`,
          ),
        })
        .from(customers)
        .leftJoin(users, and(eq(users.tenantId, t), eq(users.id, customers.ownerId)))
        .leftJoin(departments, eq(departments.id, users.departmentId))
        .where(and(eq(customers.id, c$), visibleCustomers(ctx, access)))
        .prepare('card_customer')
    }),
    // The root is taken as visible here: a hidden customer fails the card below, graph and all.
    getRelationGraph({ ctx, customerId, depth: 2, access, root: { id: customerId, name: '' } }),
    listApprovalsForRecord(ctx, 'customer', customerId),
    run('opportunities', true, () =>
      opportunityDtoQuery(
        ctx,
        and(visibleOpportunities(ctx, access), eq(opportunities.customerId, c$)) as SQL,
        [desc(opportunities.updatedAt)],
        { limit: SALES_RECENT },
      ).prepare('card_opportunities'),
    ).then(opportunityDtosOf),
    run('contracts', true, () =>
      contractDtoQuery(
        ctx,
        and(visibleContracts(ctx, access), eq(contracts.customerId, c$)) as SQL,
        [desc(contracts.createdAt)],
        { limit: SALES_RECENT },
      ).prepare('card_contracts'),
    ).then(contractDtosOf),
    // Payments only of the contracts the caller may see, allocations aggregated in the same statement.
    run('payments', true, () =>
      paymentDtoQuery(
        ctx,
        and(eq(payments.tenantId, t), eq(payments.customerId, c$), visibleContracts(ctx, access)) as SQL,
        SALES_RECENT,
      ).prepare('card_payments'),
    ).then(paymentDtosOf),
    customerService(ctx, customerId, serviceAccess),
  ])
  const found = rows[0]
  if (!found) throw new NotFoundError('customer', customerId)
  const row = found.c
  type Named = { row: Record<string, unknown>; name: string | null; enName: string | null }
  const namedRows = <T extends Table>(table: T, list: unknown) =>
    (list as Named[]).map((x) => ({ r: decodeJsonRow(table, x.row), name: x.name, enName: x.enName }))
  const contactRows = (found.contacts as Array<Record<string, unknown>>).map((x) =>
    decodeJsonRow(contacts, x),
  )
  const followRows = namedRows(followUps, found.followUps).map(({ r, name, enName }) => ({
    f: r,
    name,
    enName,
  }))
  const visitRows = namedRows(visits, found.visits).map(({ r, name, enName }) => ({ v: r, name, enName }))
  const history = namedRows(fieldHistory, found.history).map(({ r, name, enName }) => ({
    h: r,
    name,
    enName,
  }))
  const collabRows = found.collaborators as Array<{
    userId: string
    name: string | null
    enName: string | null
    department: string | null
  }>
  for (const n of relations.nodes) if (n.id === row.id && !n.name) n.name = row.name
  const ownerLabel = new Map(
    row.ownerId
      ? [[row.ownerId, { name: label(found.ownerName, found.ownerEnName), department: found.ownerDept }]]
      : [],
  )
  const who = (id: string | null, name: string | null, enName: string | null) =>
    id ? { id, name: label(name, enName) } : null
  const contractNumber = new Map(ctrDtos.map((c) => [c.id, c.number]))
  const timeline: TimelineEntry[] = [
    ...followRows.map(({ f, name, enName }) => ({
      at: f.createdAt.toISOString(),
      kind: 'follow_up' as const,
      id: f.id,
      actor: who(f.authorId, name, enName),
      title: f.kind,
      detail: f.content,
    })),
    ...visitRows.map(({ v, name, enName }) => ({
      at: (v.checkInAt ?? v.plannedAt ?? v.createdAt).toISOString(),
      kind: 'visit' as const,
      id: v.id,
      actor: who(v.userId, name, enName),
      title: v.status,
      detail: v.summary ?? v.purpose,
    })),
    ...history.map(({ h, name, enName }) => ({
      at: h.at.toISOString(),
      kind: 'change' as const,
      id: String(h.id),
      actor: who(h.actorId, name, enName),
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
    customer: toCustomerDto(row, ownerLabel),
    collaborators: collabRows.map((c) => ({
      id: c.userId,
      name: label(c.name, c.enName),
      department: c.department ?? null,
    })),
    contacts: contactRows,
    followUps: followRows.map(({ f, name, enName }) => ({ ...f, author: who(f.authorId, name, enName) })),
    visits: visitRows.map(({ v, name, enName }) => ({
      ...toVisitDto(v),
      visitor: who(v.userId, name, enName),
    })),
    relations,
    timeline: timeline.slice(0, 50),
    opportunities: oppDtos,
    contracts: ctrDtos,
    payments: payDtos,
    approvals,
    service,
  }
}
