import { and, eq, gt } from 'drizzle-orm'
import { instalments } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { requireContract } from '../contracts/access'
import { loadCrmAccess } from '../crm/access'
import { ConflictError, InvalidInputError, InvalidTransitionError } from '../errors'
import { loadReceivables, type Receivables } from './receivables'
import { type InstalmentPlanInput, instalmentPlanInput, parseInput } from './schemas'

/**
 * Sets the 回款计划 of a contract: instalments 1..n with due day and amount. Their total must equal the
 * contract amount (400 naming `instalments`), due days must not go backwards, and a plan that already has
 * money against it cannot be replaced (409). Ended contracts keep their plan.
 */
export async function setInstalmentPlan({
  ctx,
  contractId,
  input,
}: {
  ctx: ServiceContext
  contractId: string
  input: InstalmentPlanInput
}): Promise<Receivables> {
  const data = parseInput(instalmentPlanInput, input)
  return withTransaction(ctx, async (_tx, c) => {
    const access = await loadCrmAccess(c)
    const contract = await requireContract(c, access, contractId, { forUpdate: true })
    if (contract.status === 'completed' || contract.status === 'terminated')
      throw new InvalidTransitionError(`the contract is ${contract.status}`)
    const total = data.instalments.reduce((s, i) => s + i.amountCents, 0)
    if (total !== contract.amountCents)
      throw new InvalidInputError(
        'instalments',
        `instalments: 回款计划合计 ${total / 100} 元，与合同金额 ${contract.amountCents / 100} 元不一致 / the plan totals ${total} cents, the contract ${contract.amountCents}`,
      )
    data.instalments.forEach((i, n) => {
      const prev = data.instalments[n - 1]
      if (prev && i.dueDate < prev.dueDate)
        throw new InvalidInputError(
          `instalments.${n}.dueDate`,
          `instalments.${n}.dueDate: 早于上一期 / before the previous instalment`,
        )
    })
    const [paid] = await c.db
      .select({ id: instalments.id })
      .from(instalments)
      .where(
        and(
          eq(instalments.tenantId, c.tenantId),
          eq(instalments.contractId, contract.id),
          gt(instalments.receivedCents, 0),
        ),
      )
      .limit(1)
    if (paid)
      throw new ConflictError('money was received against this plan; it cannot be replaced', {
        field: 'instalments',
      })
    await c.db
      .delete(instalments)
      .where(and(eq(instalments.tenantId, c.tenantId), eq(instalments.contractId, contract.id)))
    await c.db.insert(instalments).values(
      data.instalments.map((i, n) => ({
        id: newId('rpl'),
        tenantId: c.tenantId,
        contractId: contract.id,
        seq: n + 1,
        dueDate: i.dueDate,
        amountCents: i.amountCents,
      })),
    )
    await recordAudit(c, {
      action: 'sales.instalments.set',
      targetType: 'contract',
      targetId: contract.id,
      after: data.instalments,
    })
    const r = (await loadReceivables(c, [contract.id])).get(contract.id)
    if (!r) throw new Error('receivables vanished')
    return r
  })
}
