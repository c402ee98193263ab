import { and, eq, inArray, or } from 'drizzle-orm'
import { customerRelations, customers } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { ConflictError, InvalidInputError } from '../errors'
import { type CrmAccess, loadCrmAccess, requireCustomer, visibleCustomers } from './access'
import { isUniqueViolation } from './dto'
import { parseInput, type RelationInput, relationInput } from './schemas'

export interface RelationEdge {
  id: string
  from: string
  to: string
  kind: (typeof customerRelations.$inferSelect)['kind']
  note: string | null
}
export interface RelationGraph {
  root: string
  nodes: Array<{ id: string; name: string; depth: number }>
  edges: RelationEdge[]
}

/** Links two customers the caller may work on and see (supplier, distributor, parent, partner). */
export async function linkCustomers({
  ctx,
  customerId,
  input,
}: {
  ctx: ServiceContext
  customerId: string
  input: RelationInput
}): Promise<RelationEdge> {
  const data = parseInput(relationInput, input)
  if (data.toCustomerId === customerId)
    throw new InvalidInputError('toCustomerId', 'a customer cannot relate to itself')
  return withTransaction(ctx, async (_tx, txCtx) => {
    const access = await loadCrmAccess(txCtx)
    await requireCustomer(txCtx, access, customerId, 'write')
    await requireCustomer(txCtx, access, data.toCustomerId, 'read')
    try {
      const [row] = await txCtx.db.transaction((sp) =>
        sp
          .insert(customerRelations)
          .values({
            id: newId('rel'),
            tenantId: txCtx.tenantId,
            fromCustomerId: customerId,
            toCustomerId: data.toCustomerId,
            kind: data.kind,
            note: data.note ?? null,
            createdById: actorId(txCtx.actor),
          })
          .returning(),
      )
      if (!row) throw new Error('insert returned nothing')
      return { id: row.id, from: row.fromCustomerId, to: row.toCustomerId, kind: row.kind, note: row.note }
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError('this relation exists already')
      throw err
    }
  })
}

/**
 * The relation graph around a customer to `depth` (1 or 2) hops, in both directions. Customers outside
 * the caller's scope are left out together with their edges.
 */
export async function getRelationGraph({
  ctx,
  customerId,
  depth = 2,
  access: given,
  root: checked,
}: {
  ctx: ServiceContext
  customerId: string
  depth?: number
  access?: CrmAccess
  /** The customer, already read through the caller's scope (the customer card has it): one read less. */
  root?: { id: string; name: string }
}): Promise<RelationGraph> {
  const access = given ?? (await loadCrmAccess(ctx))
  const root = checked && checked.id === customerId ? checked : await requireCustomer(ctx, access, customerId)
  const levels = new Map<string, number>([[root.id, 0]])
  const edges = new Map<string, RelationEdge>()
  let frontier = [root.id]
  for (let d = 1; d <= Math.min(Math.max(depth, 1), 2) && frontier.length > 0; d++) {
    const rows = await ctx.db
      .select()
      .from(customerRelations)
      .where(
        and(
          eq(customerRelations.tenantId, ctx.tenantId),
          or(
            inArray(customerRelations.fromCustomerId, frontier),
            inArray(customerRelations.toCustomerId, frontier),
          ),
        ),
      )
      .limit(2000)
    const next: string[] = []
    for (const r of rows) {
      edges.set(r.id, { id: r.id, from: r.fromCustomerId, to: r.toCustomerId, kind: r.kind, note: r.note })
      for (const n of [r.fromCustomerId, r.toCustomerId]) {
        if (!levels.has(n)) {
          levels.set(n, d)
          next.push(n)
        }
      }
    }
    frontier = next
  }
  const ids = [...levels.keys()]
  // No relations (most customers): the root alone, already known to be visible.
  const visible =
    ids.length === 1
      ? [{ id: root.id, name: root.name }]
      : await ctx.db
          .select({ id: customers.id, name: customers.name })
          .from(customers)
          .where(and(inArray(customers.id, ids), visibleCustomers(ctx, access)))
  const shown = new Map(visible.map((v) => [v.id, v.name]))
  return {
    root: root.id,
    nodes: ids
      .filter((i) => shown.has(i))
      .map((i) => ({ id: i, name: shown.get(i) ?? '', depth: levels.get(i) ?? 0 })),
    edges: [...edges.values()].filter((e) => shown.has(e.from) && shown.has(e.to)),
  }
}
