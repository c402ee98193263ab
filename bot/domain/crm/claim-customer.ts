import { and, count, eq } from 'drizzle-orm'
import { customers, users } from '../../../db/schema'
import { recordAudit } from '../audit/record-audit'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { DomainError, ForbiddenError } from '../errors'
import { loadCrmAccess, requireCustomer, userLabels } from './access'
import { type CustomerDto, toCustomerDto } from './dto'
import { changeOwner } from './internal/ownership'
import { daysMs, loadRules } from './rules'

/**
 * Claims a pool customer. Refused (409, `details.reason`) when someone owns it already (`taken`), when the
 * rep already owns `claimLimit` customers (`claim_limit`), or when the rep lost this customer fewer than
 * `reclaimCooldownDays` ago (`cooldown`). Claims by one rep are serialised on their user row.
 */
export async function claimCustomer({
  ctx,
  customerId,
}: {
  ctx: ServiceContext
  customerId: string
}): Promise<CustomerDto> {
  const me = actorId(ctx.actor)
  if (!me) throw new ForbiddenError('only people can claim customers')
  return withTransaction(ctx, async (_tx, txCtx) => {
    await txCtx.db
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.tenantId, txCtx.tenantId), eq(users.id, me)))
      .for('update')
    const access = await loadCrmAccess(txCtx)
    const row = await requireCustomer(txCtx, access, customerId, 'read', { forUpdate: true })
    if (row.ownerId) {
      throw new DomainError(
        'conflict',
        row.ownerId === me
          ? '你已经是该客户的负责人 / you already own it'
          : '该客户已被领取 / already claimed',
        { reason: 'taken' },
      )
    }
    const rules = await loadRules(txCtx.db, txCtx.tenantId)
    const now = txCtx.clock.now()
    if (
      row.lostById === me &&
      row.lostAt &&
      now.getTime() - row.lostAt.getTime() < daysMs(rules.reclaimCooldownDays)
    ) {
      const until = new Date(row.lostAt.getTime() + daysMs(rules.reclaimCooldownDays))
      throw new DomainError(
        'conflict',
        `冷却期内不能重新领取（至 ${until.toISOString().slice(0, 10)}）/ you lost this customer recently; claim again after ${until.toISOString().slice(0, 10)}`,
        { reason: 'cooldown', until: until.toISOString() },
      )
    }
    const [owned] = await txCtx.db
      .select({ n: count() })
      .from(customers)
      .where(and(eq(customers.tenantId, txCtx.tenantId), eq(customers.ownerId, me)))
    if ((owned?.n ?? 0) >= rules.claimLimit) {
      throw new DomainError(
        'conflict',
        `已达领取上限 ${rules.claimLimit} / you already own the limit of ${rules.claimLimit} customers`,
        { reason: 'claim_limit', limit: rules.claimLimit },
      )
    }
    await changeOwner(txCtx, row, me, 'claim')
    await recordAudit(txCtx, { action: 'crm.customer.claim', targetType: 'customer', targetId: row.id })
    const updated = await requireCustomer(txCtx, access, row.id)
    return toCustomerDto(updated, await userLabels(txCtx, [me]))
  })
}
