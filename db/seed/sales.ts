import { and, eq, isNotNull } from 'drizzle-orm'
import type { ServiceContext } from '../../bot/domain/context'
import { createContract } from '../../bot/domain/contracts'
import {
  changeStage,
  closeOpportunity,
  createOpportunity,
  listCloseReasons,
  listStageSets,
} from '../../bot/domain/opportunities'
import { recordPayment, setInstalmentPlan } from '../../bot/domain/payments'
import { createProduct } from '../../bot/domain/products'
import { systemClock } from '../../bot/lib/clock'
import type { DbOrTx } from '../client'
import { contracts, customers } from '../schema'
import type { SeededOrg } from './org'

const silent = { debug() {}, info() {}, warn() {}, error() {} }
const DAY = 86_400_000
const day = (offsetDays: number) =>
  new Date(Date.now() + 8 * 3600_000 + offsetDays * DAY).toISOString().slice(0, 10)

/**
 * The demo sales cycle, dates relative to now: a product catalogue, open deals at every stage for the
 * reps, a won deal with an active contract whose 回款 plan has one instalment paid and one overdue (so the
 * hourly scan sends its reminder), and a deal lost to a competitor.
 */
export async function seedSales(db: DbOrTx, org: SeededOrg): Promise<void> {
  const as = (key: string): ServiceContext => {
    const userId = org.users[key]
    if (!userId) throw new Error(`demo org has no ${key}`)
    return {
      tenantId: org.tenantId,
      actor: { kind: 'user', userId, via: 'api' },
      db,
      clock: systemClock,
      logger: silent,
    }
  }
  const products = []
  for (const [sku, name, unit, price, category] of [
    ['FC-STD', '流程卡 标准版（年）', '套', 3_600_000, '软件订阅'],
    ['FC-PRO', '流程卡 专业版（年）', '套', 9_800_000, '软件订阅'],
    ['FC-IMPL', '实施与培训服务', '人天', 250_000, '服务'],
    ['FC-HW', '考勤门禁一体机', '台', 480_000, '硬件'],
  ] as const) {
    products.push(
      await createProduct({ ctx: as('liming'), input: { sku, name, unit, listPriceCents: price, category } }),
    )
  }
  const [std, pro, impl, hw] = products
  if (!std || !pro || !impl || !hw) throw new Error('demo products')
  const owned = await db
    .select({ id: customers.id, ownerId: customers.ownerId, name: customers.name })
    .from(customers)
    .where(and(eq(customers.tenantId, org.tenantId), isNotNull(customers.ownerId)))
  const keyOf = Object.fromEntries(Object.entries(org.users).map(([k, v]) => [v, k]))
  const stages = (await listStageSets({ ctx: as('liming') }))[0]?.stages ?? []
  const stageId = (name: string) => stages.find((s) => s.name === name)?.id ?? ''
  const plan: Array<[string, number, string, number]> = [
    // [stage, product quantity, competitor, close in days]
    ['初步接洽', 2, '', 60],
    ['需求确认', 5, '钉钉宜搭', 45],
    ['方案报价', 10, '', 30],
    ['谈判审核', 20, '泛微', 12],
  ]
  let n = 0
  for (const c of owned.slice(0, 8)) {
    const key = c.ownerId ? keyOf[c.ownerId] : undefined
    if (!key) continue
    const [stage, qty, competitor, close] = plan[n % plan.length] ?? plan[0] ?? ['初步接洽', 1, '', 30]
    n++
    const opp = await createOpportunity({
      ctx: as(key),
      input: {
        name: `${c.name.replace(/(股份)?有限公司|分行|支行/g, '')} 流程卡项目`,
        customerId: c.id,
        items: [
          { productId: qty >= 10 ? pro.id : std.id, quantity: qty },
          { productId: impl.id, quantity: qty * 2 },
        ],
        expectedCloseDate: day(close),
        channel: n % 2 ? '官网咨询' : '老客户转介绍',
        ...(competitor ? { competitors: [competitor] } : {}),
      },
    })
    if (stage !== '初步接洽')
      await changeStage({ ctx: as(key), opportunityId: opp.id, input: { stageId: stageId(stage) } })
  }
  // A won deal with an active contract and 回款: one instalment paid, one overdue, one due later.
  const first = owned.find((c) => c.ownerId === org.users.liuyang) ?? owned[0]
  if (!first?.ownerId) return
  const repKey = keyOf[first.ownerId] ?? 'liuyang'
  const won = await createOpportunity({
    ctx: as(repKey),
    input: {
      name: `${first.name} 门禁考勤升级`,
      customerId: first.id,
      items: [
        { productId: hw.id, quantity: 25 },
        { productId: std.id, quantity: 1 },
      ],
      expectedCloseDate: day(-20),
    },
  })
  await closeOpportunity({ ctx: as(repKey), opportunityId: won.id, input: { outcome: 'won' } })
  const contract = await createContract({
    ctx: as(repKey),
    input: { name: `${first.name} 门禁考勤升级合同`, opportunityId: won.id, signedDate: day(-60) },
  })
  // Demo data: the contract is shown as already approved.
  await db
    .update(contracts)
    .set({ status: 'active', activatedAt: new Date(Date.now() - 60 * DAY) })
    .where(and(eq(contracts.tenantId, org.tenantId), eq(contracts.id, contract.id)))
  const third = Math.floor(contract.amountCents / 3)
  const r = await setInstalmentPlan({
    ctx: as(repKey),
    contractId: contract.id,
    input: {
      instalments: [
        { dueDate: day(-45), amountCents: third },
        { dueDate: day(-5), amountCents: third },
        { dueDate: day(40), amountCents: contract.amountCents - 2 * third },
      ],
    },
  })
  const firstInstalment = r.instalments[0]
  if (firstInstalment)
    await recordPayment({
      ctx: as(repKey),
      input: {
        contractId: contract.id,
        amountCents: third,
        receivedOn: day(-44),
        method: 'bank_transfer',
        allocations: [{ instalmentId: firstInstalment.id, amountCents: third }],
      },
    })
  // A deal another rep lost on price.
  const other = owned.find((c) => c.ownerId && c.ownerId !== first.ownerId)
  const otherKey = other?.ownerId ? keyOf[other.ownerId] : undefined
  if (other && otherKey) {
    const lost = await createOpportunity({
      ctx: as(otherKey),
      input: {
        name: `${other.name} 移动审批`,
        customerId: other.id,
        amountCents: 8_800_000,
        competitors: ['飞书审批'],
      },
    })
    const reason = (await listCloseReasons({ ctx: as(otherKey) })).find((x) => x.name === '价格过高')
    await closeOpportunity({
      ctx: as(otherKey),
      opportunityId: lost.id,
      input: { outcome: 'lost', ...(reason ? { reasonId: reason.id } : {}), note: '对方选择了更便宜的方案' },
    })
  }
}
