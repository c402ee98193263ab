import { and, asc, eq, type SQL, sql } from 'drizzle-orm'
import {
  funnelDaily,
  funnelMonthly,
  leads,
  opportunities,
  stageHistory,
  stageSets,
  stages,
} from '../../../../db/schema'
import { resultRows } from '../../../lib/sql-rows'
import type { ServiceContext } from '../../context'
import { ensureSalesDefaults } from '../../opportunities/stage-sets'
import { leadCohort, leadRecords } from './channels'
import { dealLink, stageNames } from './deals'
import type { ReportDefinition, ReportRow, RunEnv, Text } from './define'
import { pct, say } from './define'
import { inDays, inPeriod, peopleFilter, splitMonths } from './filters'

const STEPS: Record<'lead' | 'converted' | 'won', Text> = {
  lead: { zh: '线索', en: 'Leads' },
  converted: { zh: '转为客户', en: 'Converted' },
  won: { zh: '赢单', en: 'Won' },
}

const days = (v: unknown): number | null =>
  v === null || v === undefined ? null : Math.round(Number(v) * 10) / 10

/**
 * The open stages of the tenant's default stage set, in order (the funnel's middle steps). A tenant on its
 * first day gets its default stages here as in every other sales read, so its empty funnel shows them.
 */
async function openStages(ctx: ServiceContext) {
  await ensureSalesDefaults(ctx)
  return ctx.db
    .select({ id: stages.id, sortOrder: stages.sortOrder, setId: stages.stageSetId })
    .from(stages)
    .innerJoin(stageSets, eq(stageSets.id, stages.stageSetId))
    .where(and(eq(stages.tenantId, ctx.tenantId), eq(stageSets.isDefault, true), eq(stages.kind, 'open')))
    .orderBy(asc(stages.sortOrder))
}

/** Deals of the default stage set created in the period, in the caller's scope (by deal owner). */
async function dealCohort(ctx: ServiceContext, env: RunEnv, setId: string | undefined): Promise<SQL> {
  return and(
    eq(opportunities.tenantId, ctx.tenantId),
    setId ? eq(opportunities.stageSetId, setId) : sql`false`,
    inPeriod(opportunities.createdAt, env.period),
    await peopleFilter(ctx, env.scope, env.q, opportunities.ownerId),
    env.q.channelId
      ? sql`${opportunities.leadId} in (select ${leads.id} from ${leads} where ${leads.tenantId} = ${ctx.tenantId} and ${leads.channelId} = ${env.q.channelId})`
      : undefined,
  ) as SQL
}

/**
 * Each deal of the cohort with the furthest open stage it ever reached (from its stage history), so a lost
 * deal counts in every stage it passed and shows as lost where it left — not dropped from the whole funnel.
 * The deal keeps that stage's order (`top_open_order`, by triggers on the history and the stages); the
 * reference run searches each deal's history instead.
 */
const reached = (env: RunEnv, where: SQL) => sql`
  select ${opportunities.id} as id, ${opportunities.status} as status, ${opportunities.amountCents} as amount,
         ${opportunities.name} as name, ${opportunities.customerId} as customer_id,
         ${opportunities.createdAt} as created_at, ${opportunities.closedAt} as closed_at,
         ${
           env.reference
             ? sql`coalesce((select max(${stages.sortOrder}) from ${stageHistory}
                   inner join ${stages} on ${stages.id} = ${stageHistory.stageId}
                   where ${stageHistory.tenantId} = ${opportunities.tenantId}
                     and ${stageHistory.opportunityId} = ${opportunities.id}
                     and ${stages.kind} = 'open'), 0)`
             : opportunities.topOpenOrder
         } as top
  from ${opportunities} where ${where}`

interface Figures {
  stages: Array<{ id: string; sortOrder: number }>
  leads: { leads: number; invalid: number; converted: number; withDeal: number }
  deals: Array<{ top: number; status: string; n: number; amount: number }>
  stageDays: Map<string, number | null>
  wonDays: number | null
}

/** One computation per run: the rows and the totals of a run share it. */
const computed = new WeakMap<RunEnv, Promise<Figures>>()
function figures(ctx: ServiceContext, env: RunEnv): Promise<Figures> {
  let f = computed.get(env)
  if (!f) {
    f = compute(ctx, env)
    computed.set(env, f)
  }
  return f
}

/**
 * The lead cohort's counts. Converted leads with a deal: those whose `has_deal` is set (kept by triggers on the
 * deals), counted apart from the crm_leads_owner_deal_idx index (index-only, like the cohort's other counts);
 * the reference run probes the deals for each converted lead instead. Raw SQL: the query builder leaves
 * single-table columns unqualified, which the EXISTS would capture.
 */
const leadQuery = (ctx: ServiceContext, leadWhere: SQL, reference: boolean) =>
  ctx.db.execute(sql`select count(*)::int as leads,
      (count(*) filter (where ${leads.status} = 'invalid'))::int as invalid,
      (count(*) filter (where ${leads.status} = 'converted'))::int as converted,
      ${
        reference
          ? sql`(count(*) filter (where ${leads.status} = 'converted' and exists (
              select 1 from ${opportunities} where ${opportunities.tenantId} = ${leads.tenantId}
                and ${opportunities.leadId} = ${leads.id})))::int`
          : sql`(select count(*) from ${leads} where ${leadWhere} and ${leads.status} = 'converted'
              and ${leads.hasDeal})::int`
      } as with_deal
    from ${leads} where ${leadWhere}`)

type DealFigures = Pick<Figures, 'deals' | 'stageDays' | 'wonDays'>

/**
 * The deal cohort's figures from the funnel rollups (owner × stage set × creation day or month × furthest
 * stage and status, and stays per stage): the period's whole months from report_funnel_monthly, its part
 * months from report_funnel_daily (their days in the period, or the whole month less the days outside it,
 * `splitMonths`) — the same sums as the records' path over a department's few thousand rollup rows, one
 * statement. The channel filter (deals converted from a channel's leads) is not in them.
 */
async function rollupDeals(
  ctx: ServiceContext,
  env: RunEnv,
  setId: string | undefined,
): Promise<DealFigures> {
  if (!setId) return { deals: [], stageDays: new Map(), wonDays: null }
  const split = splitMonths(env.q.from, env.q.to)
  const branch = async (
    table: typeof funnelDaily | typeof funnelMonthly,
    range: SQL,
    sign: 1 | -1,
  ): Promise<SQL> => {
    const s = sql.raw(sign === 1 ? '' : '-')
    return sql`select ${table.stageId} as stage_id, ${table.top} as top, ${table.status} as status,
        ${s}${table.deals} as deals, ${s}${table.amountCents} as amount, ${s}${table.wonDeals} as won,
        ${s}${table.wonSeconds} as won_seconds, ${s}${table.stays} as stays, ${s}${table.staySeconds} as stay_seconds
      from ${table}
      where ${table.tenantId} = ${ctx.tenantId} and ${table.stageSetId} = ${setId} and ${range}
        and ${await peopleFilter(ctx, env.scope, env.q, table.ownerId)}`
  }
  const inRange = ([from, to]: [string, string]) => inDays(funnelDaily.day, { from, to })
  const branches = await Promise.all([
    ...(split.months
      ? [
          branch(
            funnelMonthly,
            sql`${funnelMonthly.month} >= ${split.months[0]}::date and ${funnelMonthly.month} < ${split.months[1]}::date`,
            1,
          ),
        ]
      : []),
    ...split.add.map((r) => branch(funnelDaily, inRange(r), 1)),
    ...split.subtract.map((r) => branch(funnelDaily, inRange(r), -1)),
  ])
  const rows = resultRows<{
    stage_id: string
    top: number
    status: string
    n: number
    amount: number
    won: number
    won_seconds: string
    stays: number
    stay_seconds: string
  }>(
    await ctx.db.execute(sql`select stage_id, top, status, sum(deals)::int as n, sum(amount)::float8 as amount,
        sum(won)::int as won, sum(won_seconds)::text as won_seconds, sum(stays)::int as stays,
        sum(stay_seconds)::text as stay_seconds
      from (${sql.join(branches, sql` union all `)}) f group by 1, 2, 3`),
  )
  const dealRows = rows.filter((r) => r.stage_id === '' && Number(r.n) > 0)
  const won = dealRows.reduce((a, r) => a + Number(r.won), 0)
  const wonSeconds = dealRows.reduce((a, r) => a + Number(r.won_seconds), 0)
  return {
    deals: dealRows.map((r) => ({
      top: Number(r.top),
      status: r.status,
      n: Number(r.n),
      amount: Number(r.amount),
    })),
    stageDays: new Map(
      rows
        .filter((r) => r.stage_id !== '' && Number(r.stays) > 0)
        .map((r) => [r.stage_id, days(Number(r.stay_seconds) / Number(r.stays) / 86400)]),
    ),
    wonDays: won > 0 ? days(wonSeconds / won / 86400) : null,
  }
}

async function compute(ctx: ServiceContext, env: RunEnv): Promise<Figures> {
  const stageRows = await openStages(ctx)
  const [leadWhere, dealWhere] = await Promise.all([
    leadCohort(ctx, env),
    dealCohort(ctx, env, stageRows[0]?.setId),
  ])
  const leadFigures = (r: unknown) =>
    resultRows<{ leads: number; invalid: number; converted: number; with_deal: number }>(r).map((r) => ({
      leads: Number(r.leads),
      invalid: Number(r.invalid),
      converted: Number(r.converted),
      withDeal: Number(r.with_deal),
    }))[0] ?? { leads: 0, invalid: 0, converted: 0, withDeal: 0 }
  if (!env.reference && !env.q.channelId) {
    const [leadRows, deals] = await Promise.all([
      leadQuery(ctx, leadWhere, false),
      rollupDeals(ctx, env, stageRows[0]?.setId),
    ])
    return { stages: stageRows, leads: leadFigures(leadRows), ...deals }
  }
  const [leadRows, dealRows, durations, cycle] = await Promise.all([
    leadQuery(ctx, leadWhere, env.reference === true),
    ctx.db.execute(sql`select top, status, count(*)::int as n, coalesce(sum(amount), 0)::float8 as amount
      from (${reached(env, dealWhere)}) r group by top, status`),
    ctx.db.execute(sql`select ${stageHistory.stageId} as stage_id,
        avg(extract(epoch from ${stageHistory.leftAt} - ${stageHistory.enteredAt}) / 86400.0)::float8 as days
      from ${stageHistory}
      where ${stageHistory.tenantId} = ${ctx.tenantId} and ${stageHistory.leftAt} is not null
        and ${stageHistory.opportunityId} in (select ${opportunities.id} from ${opportunities} where ${dealWhere})
      group by 1`),
    ctx.db
      .select({
        days: sql<
          number | null
        >`avg(extract(epoch from ${opportunities.closedAt} - ${opportunities.createdAt}) / 86400.0)::float8`,
      })
      .from(opportunities)
      .where(and(dealWhere, eq(opportunities.status, 'won'))),
  ])
  return {
    stages: stageRows,
    leads: leadFigures(leadRows),
    deals: resultRows<{ top: number; status: string; n: number; amount: number }>(dealRows).map((r) => ({
      top: Number(r.top),
      status: r.status,
      n: Number(r.n),
      amount: Number(r.amount),
    })),
    stageDays: new Map(
      resultRows<{ stage_id: string; days: number | null }>(durations).map((r) => [r.stage_id, days(r.days)]),
    ),
    wonDays: days(cycle[0]?.days),
  }
}

const row = (key: string, values: ReportRow['values']): ReportRow => ({ key, label: '', values })

/**
 * The sales funnel (销售漏斗) as a cohort: the leads created in the period and how many became customers
 * (and of those, how many got a deal), then the deals created in the period through the open stages of the
 * default stage set to won — each step by count and amount, the conversion to the next step, the deals lost
 * at that step, and the average days a deal spends in it. A deal that skipped a stage counts as having
 * passed it. The total row is the deal cohort: count, amount, lost, win rate and the average cycle of won
 * deals (days from creation to won). The channel filter follows leads and the deals converted from them.
 */
export const funnelReport: ReportDefinition = {
  key: 'funnel',
  title: { zh: '销售漏斗', en: 'Sales funnel' },
  description: {
    zh: '期间内的线索→客户→商机各阶段→赢单：数量、金额、转化率、各阶段流失与停留天数',
    en: 'Leads → customers → deal stages → won for the period: count, amount, conversion, lost, days per stage',
  },
  dimensions: [
    {
      key: 'step',
      label: { zh: '阶段', en: 'Step' },
      kind: 'text',
      ordered: true,
      async labelsOf(ctx, keys, locale) {
        const names = await stageNames(
          ctx,
          keys.filter((k) => !(k in STEPS)),
          locale,
        )
        for (const [k, t] of Object.entries(STEPS)) names.set(k, say(locale, t))
        return names
      },
    },
  ],
  measures: [
    { key: 'count', label: { zh: '数量', en: 'Count' }, unit: 'count', additive: false },
    { key: 'amount', label: { zh: '金额', en: 'Amount' }, unit: 'cents', additive: false },
    { key: 'conversion', label: { zh: '转化率', en: 'Conversion' }, unit: 'percent', additive: false },
    { key: 'lost', label: { zh: '流失', en: 'Lost' }, unit: 'count', additive: false },
    { key: 'lostAmount', label: { zh: '流失金额', en: 'Lost amount' }, unit: 'cents', additive: false },
    { key: 'avgDays', label: { zh: '平均停留（天）', en: 'Average days' }, unit: 'days', additive: false },
  ],
  timing: 'period',
  filters: ['channelId'],
  async rows(ctx, env) {
    const f = await figures(ctx, env)
    const wonN = f.deals.filter((d) => d.status === 'won').reduce((s, d) => s + d.n, 0)
    const wonAmount = f.deals.filter((d) => d.status === 'won').reduce((s, d) => s + d.amount, 0)
    const reach = (order: number) =>
      f.deals
        .filter((d) => d.status === 'won' || d.top >= order)
        .reduce((s, d) => ({ n: s.n + d.n, amount: s.amount + d.amount }), { n: 0, amount: 0 })
    const lostAt = (order: number) =>
      f.deals
        .filter((d) => d.status === 'lost' && d.top === order)
        .reduce((s, d) => ({ n: s.n + d.n, amount: s.amount + d.amount }), { n: 0, amount: 0 })
    const out: ReportRow[] = [
      row('lead', {
        count: f.leads.leads,
        amount: null,
        conversion: pct(f.leads.converted, f.leads.leads),
        lost: f.leads.invalid,
        lostAmount: null,
        avgDays: null,
      }),
      row('converted', {
        count: f.leads.converted,
        amount: null,
        conversion: pct(f.leads.withDeal, f.leads.converted),
        lost: null,
        lostAmount: null,
        avgDays: null,
      }),
    ]
    f.stages.forEach((s, i) => {
      const here = reach(s.sortOrder)
      const next = f.stages[i + 1]
      const nextN = next ? reach(next.sortOrder).n : wonN
      const l = lostAt(s.sortOrder)
      out.push(
        row(s.id, {
          count: here.n,
          amount: here.amount,
          conversion: pct(nextN, here.n),
          lost: l.n,
          lostAmount: l.amount,
          avgDays: f.stageDays.get(s.id) ?? null,
        }),
      )
    })
    out.push(
      row('won', {
        count: wonN,
        amount: wonAmount,
        conversion: null,
        lost: null,
        lostAmount: null,
        avgDays: f.wonDays,
      }),
    )
    return out
  },
  async totals(ctx, env) {
    const f = await figures(ctx, env)
    const all = f.deals.reduce((s, d) => ({ n: s.n + d.n, amount: s.amount + d.amount }), { n: 0, amount: 0 })
    const by = (status: string) => f.deals.filter((d) => d.status === status)
    return {
      count: all.n,
      amount: all.amount,
      conversion: pct(
        by('won').reduce((s, d) => s + d.n, 0),
        all.n,
      ),
      lost: by('lost').reduce((s, d) => s + d.n, 0),
      lostAmount: by('lost').reduce((s, d) => s + d.amount, 0),
      avgDays: f.wonDays,
    }
  },
  async records(ctx, env, drill) {
    const lostOnly = drill.measure === 'lost' || drill.measure === 'lostAmount'
    if (drill.value === 'lead' || drill.value === 'converted') {
      return leadRecords(
        ctx,
        and(
          await leadCohort(ctx, env),
          drill.value === 'converted'
            ? eq(leads.status, 'converted')
            : lostOnly
              ? eq(leads.status, 'invalid')
              : undefined,
        ) as SQL,
        drill.limit,
      )
    }
    const stageRows = await openStages(ctx)
    const where = await dealCohort(ctx, env, stageRows[0]?.setId)
    const stage = stageRows.find((s) => s.id === drill.value)
    const pick =
      drill.value === 'won'
        ? sql`status = 'won'`
        : stage
          ? lostOnly
            ? sql`status = 'lost' and top = ${stage.sortOrder}`
            : sql`(status = 'won' or top >= ${stage.sortOrder})`
          : drill.value === undefined
            ? lostOnly
              ? sql`status = 'lost'`
              : sql`true`
            : sql`false`
    const rows = resultRows<{
      id: string
      name: string
      status: string
      customer_id: string
      created_at: Date | string
    }>(
      await ctx.db.execute(
        sql`select id, name, status, customer_id, created_at from (${reached(env, where)}) r
            where ${pick} order by created_at desc limit ${drill.limit}`,
      ),
    )
    return rows.map((r) => ({
      kind: 'opportunity' as const,
      id: r.id,
      title: r.name,
      subtitle: r.status,
      at: new Date(r.created_at).toISOString(),
      link: dealLink(r.customer_id),
    }))
  },
}
