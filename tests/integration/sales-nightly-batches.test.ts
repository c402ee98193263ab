import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listStageSets, refreshWinProbabilities } from '../../bot/domain/opportunities'
import { assessDeal, loadWinModel, type StoredWinModel } from '../../bot/domain/opportunities/win-model'
import { assessCustomerValues, PAYMENT_OVERDUE, scanOverdue, scoreCustomer } from '../../bot/domain/payments'
import { chinaDay } from '../../bot/domain/payments/receivables'
import type { Database } from '../../db/client'
import { openTestDatabase } from '../helpers/db'
import { type CrmTenant, crmTenant, fixedClock, systemCtx } from './crm-harness'

/*
 * The nightly jobs walk the tenant in batches (keyset pages, each its own short transaction). With a batch
 * of 2 every boundary is crossed: each overdue instalment is found exactly once, and every customer is
 * assessed exactly once with the tier a hand computation gives.
 */
let database: Database
let org: CrmTenant
const now = new Date()
const clock = fixedClock(now)
const today = chinaDay(now)
const sys = () => systemCtx(database, org, clock)
const run = (q: ReturnType<typeof sql>) => database.rows<Record<string, unknown>>(q)

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  const t = org.tenantId
  const owner = org.users.liuyang as string
  // Customers 1-4 with the payments below; 5-7 with none (tier D).
  await run(sql`insert into crm_customers (id, tenant_id, name, name_norm, search_text, owner_id)
    select 'cus_n' || g, ${t}, '夜批客户' || g, '夜批客户' || g, '夜批客户' || g, ${owner} from generate_series(1, 7) g`)
  // Contracts 1-7 (one per customer), ¥3,000,000 each, three instalments of ¥1,000,000: the first due 90
  // days ago, the second 10 days ago (both overdue), the third in 30 days. Contract 7 has paid its first.
  await run(sql`insert into sales_contracts (id, tenant_id, number, name, customer_id, owner_id, amount_cents, status)
    select 'ctr_n' || g, ${t}, 'HT-N-' || g, '夜批合同' || g, 'cus_n' || g, ${owner}, 300000000, 'active'
    from generate_series(1, 7) g`)
  await run(sql`insert into sales_instalments (id, tenant_id, contract_id, seq, due_date, amount_cents, received_cents)
    select 'rpl_n' || g || '_' || k, ${t}, 'ctr_n' || g, k,
      ${today}::date + case k when 1 then -90 when 2 then -10 else 30 end, 100000000,
      case when g = 7 and k = 1 then 100000000 else 0 end
    from generate_series(1, 7) g, generate_series(1, 3) k`)
  const pay = (customer: number, n: number, cents: number, daysAgo: number) =>
    run(sql`insert into sales_payments (id, tenant_id, contract_id, customer_id, amount_cents, received_on, method)
      select 'pay_n' || ${customer} || '_' || g, ${t}, 'ctr_n' || ${customer}, 'cus_n' || ${customer}, ${cents},
        ${today}::date - ${daysAgo}::int, 'bank_transfer' from generate_series(1, ${n}::int) g`)
  await pay(1, 6, 20_000_000, 10) // R5 F5 M5 (¥1,200,000) E1 → 72 A
  await pay(2, 2, 15_000_000, 60) // R4 F3 M3 (¥300,000) E1 → 42 C
  await pay(3, 1, 5_000_000, 100) // R3 F2 M2 (¥50,000) E1 → 24 D
  await pay(4, 4, 15_000_000, 20) // R5 F4 M4 (¥600,000) E1 → 20 × (1.5 + 0.8 + 1.6 + 0.1) − 20 = 60 B
})

afterAll(async () => {
  await database?.close()
})

describe('nightly jobs in batches', () => {
  it('the overdue scan finds each overdue instalment once across batches of 2, then none', async () => {
    const first = await scanOverdue({ ctx: sys(), batchSize: 2 })
    // 7 contracts × the two past instalments, less contract 7's paid first one.
    expect(first.found).toBe(13)
    const jobs = await run(sql`select payload->>'instalmentId' as id from outbox
      where tenant_id = ${org.tenantId} and topic = ${PAYMENT_OVERDUE}`)
    const ids = jobs.map((j) => j.id as string)
    expect(new Set(ids).size).toBe(13)
    expect(ids).not.toContain('rpl_n7_1')
    expect(ids.some((i) => i.endsWith('_3'))).toBe(false)
    expect((await scanOverdue({ ctx: sys(), batchSize: 2 })).found).toBe(0)
  })

  it('RFM assesses every customer once across batches of 2, with the hand-computed tiers', async () => {
    const [count] = await run(
      sql`select count(*)::int as n from crm_customers where tenant_id = ${org.tenantId}`,
    )
    const { assessed } = await assessCustomerValues({ ctx: sys(), batchSize: 2 })
    expect(assessed).toBe(count?.n)
    const rows = await run(sql`select customer_id, score, tier, recency_days, frequency, monetary_cents
      from sales_customer_values where tenant_id = ${org.tenantId} and customer_id like 'cus_n%' order by customer_id`)
    expect(rows.map((r) => [r.customer_id, r.score, r.tier])).toEqual([
      ['cus_n1', 72, 'A'],
      ['cus_n2', 42, 'C'],
      ['cus_n3', 24, 'D'],
      ['cus_n4', 60, 'B'],
      ['cus_n5', 0, 'D'],
      ['cus_n6', 0, 'D'],
      ['cus_n7', 0, 'D'],
    ])
    expect(rows[0]).toMatchObject({ recency_days: 10, frequency: 6 })
    expect(Number(rows[0]?.monetary_cents)).toBe(120_000_000)
    const [total] = await run(
      sql`select count(*)::int as n from sales_customer_values where tenant_id = ${org.tenantId}`,
    )
    expect(total?.n).toBe(count?.n)
    // Scores, tiers and factors computed in SQL are what `scoreCustomer` says for the stored inputs.
    const all = await run(sql`select recency_days, frequency, monetary_cents, engagement, score, tier, factors
      from sales_customer_values where tenant_id = ${org.tenantId}`)
    for (const r of all) {
      const want = scoreCustomer({
        recencyDays: r.recency_days as number | null,
        frequency: r.frequency as number,
        monetaryCents: Number(r.monetary_cents),
        engagement: r.engagement as number,
      })
      expect({ score: r.score, tier: r.tier, factors: r.factors }).toEqual(want)
    }
    // One batch for all gives the same rows.
    await assessCustomerValues({ ctx: sys() })
    const again = await run(sql`select customer_id, score, tier from sales_customer_values
      where tenant_id = ${org.tenantId} and customer_id like 'cus_n%' order by customer_id`)
    expect(again).toEqual(rows.map((r) => ({ customer_id: r.customer_id, score: r.score, tier: r.tier })))
  })

  it('the win-probability refresh, bands computed in SQL, gives each open deal what the model says for it', async () => {
    const t = org.tenantId
    await listStageSets({ ctx: sys() })
    const stageRows = await run(
      sql`select id, name, name_en, kind from sales_stages where tenant_id = ${t} order by sort_order`,
    )
    const open = stageRows.filter((s) => s.kind === 'open').map((s) => s.id as string)
    const owner = org.users.liuyang as string
    const deal = (id: string, stage: string, status: string, o: Record<string, unknown>) =>
      run(sql`insert into sales_opportunities (id, tenant_id, name, customer_id, stage_set_id, stage_id, status,
          amount_cents, channel, competitors, close_date_slips, owner_id, stage_entered_at, last_activity_at, closed_at)
        values (${id}, ${t}, ${id}, 'cus_n1', (select stage_set_id from sales_stages where id = ${stage}), ${stage},
          ${status}, ${o.amount as number}, ${(o.channel as string | null) ?? null}, ${JSON.stringify(o.competitors ?? [])}::jsonb,
          ${(o.slips as number) ?? 0}, ${owner}, ${new Date(now.getTime() - (o.ageDays as number) * 86_400_000).toISOString()}::timestamptz,
          ${now.toISOString()}::timestamptz, ${status === 'open' ? null : now.toISOString()}::timestamptz)`)
    // A history with a known lean: deals from 展会 without competitors mostly won, the rest mostly lost.
    for (let i = 0; i < 40; i++) {
      const fair = i % 2 === 0
      await deal(
        `opp_nc${i}`,
        open[i % open.length] as string,
        (fair ? i % 8 !== 0 : i % 5 === 0) ? 'won' : 'lost',
        {
          amount: fair ? 5_000_000 : 500_000,
          channel: fair ? '展会' : null,
          competitors: fair ? [] : ['泛微'],
          slips: i % 3,
          ageDays: 10,
        },
      )
    }
    // Open deals on every band boundary (age 7/30/90 days, amount ¥10,000/¥100,000/¥1,000,000, slips 0/1/2).
    const ages = [6.99, 7.01, 29.99, 30.01, 89.99, 90.01]
    const amounts = [999_999, 1_000_000, 9_999_999, 10_000_000, 99_999_999, 100_000_000]
    for (let i = 0; i < 12; i++)
      await deal(`opp_no${String(i).padStart(2, '0')}`, open[i % open.length] as string, 'open', {
        amount: amounts[i % amounts.length],
        ageDays: ages[(i * 5) % ages.length],
        channel: i % 3 === 0 ? '展会' : i % 3 === 1 ? null : '官网',
        competitors: i % 2 ? ['泛微'] : [],
        slips: i % 4,
      })
    const res = await refreshWinProbabilities({ ctx: sys(), batchSize: 2 })
    expect(res.learned).toBe(true)
    const [stored] = await run(sql`select model from sales_win_models where tenant_id = ${t}`)
    const model = loadWinModel(stored?.model as StoredWinModel)
    const names = new Map(stageRows.map((s) => [s.id as string, s.name as string]))
    const namesEn = new Map(
      stageRows.map((s) => [s.id as string, (s.name_en as string | null) ?? (s.name as string)]),
    )
    const rows =
      await run(sql`select id, stage_id, amount_cents, channel, competitors, close_date_slips, stage_entered_at,
        win_probability, probability_factors from sales_opportunities where tenant_id = ${t} and id like 'opp_no%' order by id`)
    expect(rows).toHaveLength(12)
    const probabilities = new Set<number>()
    for (const r of rows) {
      const want = assessDeal(
        model,
        {
          stages: [r.stage_id as string],
          stageAgeDays: (now.getTime() - new Date(r.stage_entered_at as string).getTime()) / 86_400_000,
          amountCents: Number(r.amount_cents),
          channel: r.channel as string | null,
          hasCompetitor: (r.competitors as string[]).length > 0,
          closeDateSlips: r.close_date_slips as number,
        },
        names,
        namesEn,
      )
      expect([r.id, r.win_probability, r.probability_factors]).toEqual([r.id, want.probability, want.factors])
      probabilities.add(want.probability)
    }
    // The deals differ: the model distinguishes them (not one value for all).
    expect(probabilities.size).toBeGreaterThan(3)
    // Run again: the same open deals assessed.
    const again = await refreshWinProbabilities({ ctx: sys(), batchSize: 2 })
    expect(again.updated).toBe(res.updated)
  })
})
