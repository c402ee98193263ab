import { and, asc, desc, eq, inArray, type SQL, sql } from 'drizzle-orm'
import type { AnyPgColumn } from 'drizzle-orm/pg-core'
import {
  contracts,
  instalments,
  paymentAllocations,
  payments,
  personDaily,
  receivableDaily,
} from '../../../../db/schema'
import { resultRows } from '../../../lib/sql-rows'
import { zonedNow } from '../../../lib/zoned'
import type { ServiceContext } from '../../context'
import { dealLink } from './deals'
import type { MeasureDef, RecordRef, ReportDefinition, ReportRow, RunEnv, Text } from './define'
import { pct, say } from './define'
import { bucketOfDay, inDays, peopleFilter } from './filters'

/** Plans count once the contract is in force: a draft's or a terminated contract's plan is not receivable. */
const RECEIVABLE = inArray(contracts.status, ['active', 'completed'])

const instalmentTitle = (r: { contract: string; seq: number }, locale: 'zh-CN' | 'en') =>
  locale === 'en' ? `${r.contract} #${r.seq}` : `${r.contract} 第${r.seq}期`

/** Instalment records (the overdue list and the plans behind a figure), oldest due first. */
async function instalmentRecords(
  ctx: ServiceContext,
  env: RunEnv,
  where: SQL,
  limit: number,
  outstanding: SQL = sql`${instalments.amountCents} - ${instalments.receivedCents}`,
): Promise<RecordRef[]> {
  const rows = await ctx.db
    .select({
      id: instalments.id,
      seq: instalments.seq,
      due: instalments.dueDate,
      contract: contracts.name,
      number: contracts.number,
      customerId: contracts.customerId,
      outstanding: sql<number>`(${outstanding})::float8`,
    })
    .from(instalments)
    .innerJoin(contracts, eq(contracts.id, instalments.contractId))
    .where(where)
    .orderBy(asc(instalments.dueDate), asc(instalments.seq))
    .limit(limit)
  return rows.map((r) => ({
    kind: 'instalment',
    id: r.id,
    title: instalmentTitle(r, env.locale),
    subtitle: `${r.number} · ${say(env.locale, { zh: '未回', en: 'open' })} ¥${(Number(r.outstanding) / 100).toFixed(2)}`,
    at: r.due,
    link: dealLink(r.customerId),
  }))
}

const ownerOrMonth = (env: RunEnv, day: AnyPgColumn): SQL =>
  env.dimension.key === 'owner' ? sql`${contracts.ownerId}` : bucketOfDay(day, 'month')

const planWhere = async (ctx: ServiceContext, env: RunEnv): Promise<SQL> =>
  and(
    eq(instalments.tenantId, ctx.tenantId),
    eq(contracts.tenantId, ctx.tenantId),
    RECEIVABLE,
    inDays(instalments.dueDate, env.q),
    await peopleFilter(ctx, env.scope, env.q, contracts.ownerId),
  ) as SQL

const paymentWhere = async (ctx: ServiceContext, env: RunEnv): Promise<SQL> =>
  and(
    eq(payments.tenantId, ctx.tenantId),
    eq(contracts.tenantId, ctx.tenantId),
    inDays(payments.receivedOn, env.q),
    await peopleFilter(ctx, env.scope, env.q, contracts.ownerId),
  ) as SQL

/** Today in the tenant's zone (the report's). */
const todayOf = (ctx: ServiceContext, env: RunEnv) => zonedNow(ctx.clock.now(), env.period.zone).day

const open = sql`${instalments.receivedCents} < ${instalments.amountCents}`
const memo = new WeakMap<RunEnv, Promise<ReportRow[]>>()

type PlanSums = { k: unknown; planned: number; plannedReceived: number; overdue: number }
type PaidSums = { k: unknown; received: number }

/**
 * The plans from the instalment rollup (report_receivable_daily: owner × due day) and the money received from
 * the person-day rollup (its payments, by the day received, credited to the contract's owner as the records'
 * join does): the same sums as `recordSums`, over a few hundred rows for a department's year.
 */
async function rollupSums(
  ctx: ServiceContext,
  env: RunEnv,
  today: string,
): Promise<[PlanSums[], PaidSums[]]> {
  const planKey =
    env.dimension.key === 'owner'
      ? sql`${receivableDaily.ownerId}`
      : bucketOfDay(receivableDaily.dueDate, 'month')
  const payKey =
    env.dimension.key === 'owner' ? sql`${personDaily.userId}` : bucketOfDay(personDaily.day, 'month')
  return Promise.all([
    ctx.db
      .select({
        k: planKey,
        planned: sql<number>`sum(${receivableDaily.plannedCents})::float8`,
        plannedReceived: sql<number>`sum(${receivableDaily.plannedReceivedCents})::float8`,
        overdue: sql<number>`coalesce(sum(${receivableDaily.openCents}) filter (where ${receivableDaily.dueDate} < ${today}::date), 0)::float8`,
      })
      .from(receivableDaily)
      .where(
        and(
          eq(receivableDaily.tenantId, ctx.tenantId),
          inDays(receivableDaily.dueDate, env.q),
          await peopleFilter(ctx, env.scope, env.q, receivableDaily.ownerId),
        ),
      )
      .groupBy(planKey),
    ctx.db
      .select({ k: payKey, received: sql<number>`sum(${personDaily.paymentCents})::float8` })
      .from(personDaily)
      .where(
        and(
          eq(personDaily.tenantId, ctx.tenantId),
          inDays(personDaily.day, env.q),
          await peopleFilter(ctx, env.scope, env.q, personDaily.userId),
        ),
      )
      .groupBy(payKey)
      // A day of the person's without payments (only visits, say) is no group; one of payments for 0 is.
      .having(sql`sum(${personDaily.payments}) <> 0`),
  ])
}

/** The same sums from the records: the reference. */
async function recordSums(
  ctx: ServiceContext,
  env: RunEnv,
  today: string,
): Promise<[PlanSums[], PaidSums[]]> {
  const planKey = ownerOrMonth(env, instalments.dueDate)
  const payKey = ownerOrMonth(env, payments.receivedOn)
  return Promise.all([
    ctx.db
      .select({
        k: planKey,
        planned: sql<number>`sum(${instalments.amountCents})::float8`,
        plannedReceived: sql<number>`sum(least(${instalments.receivedCents}, ${instalments.amountCents}))::float8`,
        overdue: sql<number>`coalesce(sum(${instalments.amountCents} - ${instalments.receivedCents}) filter (where ${open} and ${instalments.dueDate} < ${today}::date), 0)::float8`,
      })
      .from(instalments)
      .innerJoin(contracts, eq(contracts.id, instalments.contractId))
      .where(await planWhere(ctx, env))
      .groupBy(planKey),
    ctx.db
      .select({ k: payKey, received: sql<number>`sum(${payments.amountCents})::float8` })
      .from(payments)
      .innerJoin(contracts, eq(contracts.id, payments.contractId))
      .where(await paymentWhere(ctx, env))
      .groupBy(payKey),
  ])
}

async function receivableRows(ctx: ServiceContext, env: RunEnv): Promise<ReportRow[]> {
  const today = todayOf(ctx, env)
  const [plans, paid] = await (env.reference ? recordSums : rollupSums)(ctx, env, today)
  const out = new Map<string | null, ReportRow>()
  const row = (k: unknown) => {
    const key = k === null || k === undefined ? null : String(k)
    let r = out.get(key)
    if (!r) {
      r = {
        key,
        label: '',
        values: { planned: 0, plannedReceived: 0, rate: null, outstanding: 0, overdue: 0, received: 0 },
      }
      out.set(key, r)
    }
    return r
  }
  for (const p of plans) {
    const r = row(p.k)
    r.values.planned = Number(p.planned)
    r.values.plannedReceived = Number(p.plannedReceived)
    r.values.outstanding = Number(p.planned) - Number(p.plannedReceived)
    r.values.overdue = Number(p.overdue)
    r.values.rate = pct(Number(p.plannedReceived), Number(p.planned))
  }
  for (const p of paid) row(p.k).values.received = Number(p.received)
  return [...out.values()]
}

const money = (key: string, label: Text): MeasureDef => ({ key, label, unit: 'cents', additive: true })

/**
 * 回款 planned vs received (回款统计): per month (or contract owner), the instalments due in the period and how
 * much of them came in, what is still open and overdue (derived from the due day and today, never from a
 * stored flag), and the money actually received in the period (planned or not).
 */
export const receivablesReport: ReportDefinition = {
  key: 'receivables',
  title: { zh: '回款统计', en: 'Receivables' },
  description: {
    zh: '按月：计划回款、其中已回、未回、逾期与期间实际回款',
    en: 'By month: instalments due, received of them, open, overdue, and money received in the period',
  },
  dimensions: [
    { key: 'month', label: { zh: '按月', en: 'By month' }, kind: 'period' },
    { key: 'owner', label: { zh: '负责人', en: 'Owner' }, kind: 'person' },
  ],
  measures: [
    money('planned', { zh: '计划回款', en: 'Planned' }),
    money('plannedReceived', { zh: '计划已回', en: 'Planned received' }),
    { key: 'rate', label: { zh: '回款率', en: 'Collected' }, unit: 'percent', additive: false },
    money('outstanding', { zh: '未回', en: 'Open' }),
    money('overdue', { zh: '逾期', en: 'Overdue' }),
    money('received', { zh: '实际回款', en: 'Received' }),
  ],
  timing: 'period',
  rows(ctx, env) {
    let r = memo.get(env)
    if (!r) {
      r = receivableRows(ctx, env)
      memo.set(env, r)
    }
    return r
  },
  async totals(ctx, env) {
    const rows = await this.rows(ctx, env)
    const s = (k: string) => rows.reduce((a, r) => a + (r.values[k] ?? 0), 0)
    return { rate: pct(s('plannedReceived'), s('planned')) }
  },
  async records(ctx, env, drill) {
    const match = (k: SQL) =>
      drill.value === undefined
        ? undefined
        : drill.value === null
          ? sql`${k} is null`
          : sql`${k} = ${drill.value}`
    if (drill.measure === 'received') {
      const rows = await ctx.db
        .select({
          id: payments.id,
          amount: payments.amountCents,
          on: payments.receivedOn,
          method: payments.method,
          contract: contracts.name,
          customerId: contracts.customerId,
        })
        .from(payments)
        .innerJoin(contracts, eq(contracts.id, payments.contractId))
        .where(and(await paymentWhere(ctx, env), match(ownerOrMonth(env, payments.receivedOn))))
        .orderBy(desc(payments.receivedOn))
        .limit(drill.limit)
      return rows.map((r) => ({
        kind: 'payment' as const,
        id: r.id,
        title: r.contract,
        subtitle: `¥${(r.amount / 100).toFixed(2)} · ${r.method}`,
        at: r.on,
        link: dealLink(r.customerId),
      }))
    }
    const today = todayOf(ctx, env)
    return instalmentRecords(
      ctx,
      env,
      and(
        await planWhere(ctx, env),
        match(ownerOrMonth(env, instalments.dueDate)),
        drill.measure === 'overdue'
          ? sql`${open} and ${instalments.dueDate} < ${today}::date`
          : drill.measure === 'outstanding'
            ? open
            : drill.measure === 'plannedReceived'
              ? sql`${instalments.receivedCents} > 0`
              : undefined,
      ) as SQL,
      drill.limit,
    )
  },
}

const BUCKETS: Array<{ key: string; label: Text }> = [
  { key: 'current', label: { zh: '未到期', en: 'Not due' } },
  { key: 'd30', label: { zh: '逾期 1-30 天', en: '1-30 days overdue' } },
  { key: 'd60', label: { zh: '逾期 31-60 天', en: '31-60 days overdue' } },
  { key: 'd90', label: { zh: '逾期 61-90 天', en: '61-90 days overdue' } },
  { key: 'd90plus', label: { zh: '逾期 90 天以上', en: 'Over 90 days overdue' } },
]

/** The day the ageing is taken on: the period's last day, or today when the period reaches into the future. */
const asOfDay = (ctx: ServiceContext, env: RunEnv) => {
  const today = todayOf(ctx, env)
  return [env.q.to, today].sort()[0] ?? today
}

/**
 * What was still to be received of an instalment on `asOf`: from its current figure when that is today,
 * else from the payments allocated to it up to that day.
 */
const outstandingOn = (ctx: ServiceContext, env: RunEnv, asOf: string): SQL =>
  asOf >= todayOf(ctx, env)
    ? sql`(${instalments.amountCents} - ${instalments.receivedCents})`
    : sql`(${instalments.amountCents} - coalesce((select sum(${paymentAllocations.amountCents})
        from ${paymentAllocations} inner join ${payments} on ${payments.id} = ${paymentAllocations.paymentId}
        where ${paymentAllocations.tenantId} = ${instalments.tenantId}
          and ${paymentAllocations.instalmentId} = ${instalments.id}
          and ${payments.receivedOn} <= ${asOf}::date), 0))`

const bucketOf = (asOf: string, due: AnyPgColumn = instalments.dueDate): SQL => sql`case
  when ${due} >= ${asOf}::date then 'current'
  when ${asOf}::date - ${due} <= 30 then 'd30'
  when ${asOf}::date - ${due} <= 60 then 'd60'
  when ${asOf}::date - ${due} <= 90 then 'd90'
  else 'd90plus' end`

async function ageingWhere(ctx: ServiceContext, env: RunEnv, asOf: string, openOnly = true): Promise<SQL> {
  return and(
    eq(instalments.tenantId, ctx.tenantId),
    eq(contracts.tenantId, ctx.tenantId),
    RECEIVABLE,
    // Plans known on that day; today's figure can use the open-instalment index.
    sql`${instalments.createdAt} < (${asOf}::date + 1)::timestamp at time zone ${env.period.zone}`,
    asOf >= todayOf(ctx, env) ? open : undefined,
    openOnly ? sql`${outstandingOn(ctx, env, asOf)} > 0` : undefined,
    await peopleFilter(ctx, env.scope, env.q, contracts.ownerId),
  ) as SQL
}

type AgeingSums = { k: string | null; outstanding: number; overdue: number; n: number }

/** The report's rows from the sums per key: by owner, most overdue first; by ageing, every bucket in order. */
function ageingRows(env: RunEnv, sums: AgeingSums[]): ReportRow[] {
  const out = sums.map((r) => ({
    key: r.k,
    label: '',
    values: { outstanding: r.outstanding, overdue: r.overdue, instalments: r.n },
  }))
  if (env.dimension.key === 'owner') return out.sort((a, b) => b.values.overdue - a.values.overdue)
  return BUCKETS.map(
    (b) =>
      out.find((r) => r.key === b.key) ?? {
        key: b.key,
        label: '',
        values: { outstanding: 0, overdue: 0, instalments: 0 },
      },
  )
}

/**
 * The ageing as of today (or a later day) from the instalment rollup: what is open now of every instalment,
 * by owner or by due day against `asOf` — less the open instalments created after `asOf` (the records' path
 * counts the plans known on that day; the partial index on open instalments by creation finds them, almost
 * always none). The same sums as the records' path, over a department's few thousand rollup rows.
 */
async function ageingToday(ctx: ServiceContext, env: RunEnv, asOf: string): Promise<ReportRow[]> {
  const byOwner = env.dimension.key === 'owner'
  const k = byOwner ? sql`${receivableDaily.ownerId}` : bucketOf(asOf, receivableDaily.dueDate)
  const laterK = byOwner ? sql`${contracts.ownerId}` : bucketOf(asOf)
  // Grouped by position: the bucket's `asOf` parameters in SELECT and GROUP BY would be different ones.
  const [kept, later] = await Promise.all([
    ctx.db
      .select({
        k: sql<string | null>`${k}`,
        outstanding: sql<number>`sum(${receivableDaily.openCents})::float8`,
        overdue: sql<number>`coalesce(sum(${receivableDaily.openCents}) filter (where ${receivableDaily.dueDate} < ${asOf}::date), 0)::float8`,
        n: sql<number>`sum(${receivableDaily.openInstalments})::int`,
      })
      .from(receivableDaily)
      .where(
        and(
          eq(receivableDaily.tenantId, ctx.tenantId),
          sql`${receivableDaily.openInstalments} > 0`,
          await peopleFilter(ctx, env.scope, env.q, receivableDaily.ownerId),
        ),
      )
      .groupBy(sql`1`),
    ctx.db
      .select({
        k: sql<string | null>`${laterK}`,
        outstanding: sql<number>`sum(${instalments.amountCents} - ${instalments.receivedCents})::float8`,
        overdue: sql<number>`coalesce(sum(${instalments.amountCents} - ${instalments.receivedCents}) filter (where ${instalments.dueDate} < ${asOf}::date), 0)::float8`,
        n: sql<number>`count(*)::int`,
      })
      .from(instalments)
      .innerJoin(contracts, eq(contracts.id, instalments.contractId))
      .where(
        and(
          eq(instalments.tenantId, ctx.tenantId),
          eq(contracts.tenantId, ctx.tenantId),
          RECEIVABLE,
          open,
          sql`${instalments.createdAt} >= (${asOf}::date + 1)::timestamp at time zone ${env.period.zone}`,
          await peopleFilter(ctx, env.scope, env.q, contracts.ownerId),
        ),
      )
      .groupBy(sql`1`),
  ])
  const sums = new Map<string | null, AgeingSums>()
  for (const r of kept)
    sums.set(r.k, { k: r.k, outstanding: Number(r.outstanding), overdue: Number(r.overdue), n: Number(r.n) })
  for (const r of later) {
    const s = sums.get(r.k)
    if (!s) continue
    s.outstanding -= Number(r.outstanding)
    s.overdue -= Number(r.overdue)
    s.n -= Number(r.n)
  }
  return ageingRows(
    env,
    [...sums.values()].filter((s) => s.n > 0),
  )
}

/** More instalments changed since the day than this, and the ageing as of it is summed from the records. */
export const AGEING_PAST_CHANGES = 3000

/**
 * The ageing as of a past day from the rollup's open amounts by allocation (amount - every payment allocated
 * to it): exact for every instalment but the few changed since `asOf` — created after it, or with allocations
 * of payments received after it. Those are taken off as the rollup holds them and added back as they were on
 * `asOf` (known then, and open by the allocations up to it), the same sums as the records' path. `null` when
 * more than AGEING_PAST_CHANGES changed (the records' path then).
 */
async function ageingPast(ctx: ServiceContext, env: RunEnv, asOf: string): Promise<ReportRow[] | null> {
  const byOwner = env.dimension.key === 'owner'
  const t = ctx.tenantId
  const after = sql`(${asOf}::date + 1)::timestamp at time zone ${env.period.zone}`
  const k = byOwner ? sql`${receivableDaily.ownerId}` : bucketOf(asOf, receivableDaily.dueDate)
  const changedK = byOwner ? sql`${contracts.ownerId}` : bucketOf(asOf)
  const allocatedSince = sql`(select sum(${paymentAllocations.amountCents})
    from ${paymentAllocations} inner join ${payments} on ${payments.id} = ${paymentAllocations.paymentId}
    where ${paymentAllocations.tenantId} = ${t} and ${paymentAllocations.instalmentId} = ${instalments.id}
      and ${payments.receivedOn} > ${asOf}::date)`
  const nowOpen = sql`greatest(${instalments.amountCents} - ${instalments.allocatedCents}, 0)`
  const thenOpen = sql`case when ${instalments.createdAt} < ${after} then greatest(${instalments.amountCents}
    - ${instalments.allocatedCents} + coalesce(${allocatedSince}, 0), 0) else 0 end`
  const [kept, changed] = await Promise.all([
    ctx.db
      .select({
        k: sql<string | null>`${k}`,
        outstanding: sql<number>`sum(${receivableDaily.allocOpenCents})::float8`,
        overdue: sql<number>`coalesce(sum(${receivableDaily.allocOpenCents}) filter (where ${receivableDaily.dueDate} < ${asOf}::date), 0)::float8`,
        n: sql<number>`sum(${receivableDaily.allocOpenInstalments})::int`,
      })
      .from(receivableDaily)
      .where(
        and(
          eq(receivableDaily.tenantId, t),
          sql`${receivableDaily.allocOpenInstalments} > 0`,
          await peopleFilter(ctx, env.scope, env.q, receivableDaily.ownerId),
        ),
      )
      .groupBy(sql`1`),
    // The changed instalments (at most one past the limit), then those of them in the report: their sums now
    // (as the rollup holds them) and as of `asOf`, by key.
    resultRows<{ changes: number; k: string | null; outstanding: number; overdue: number; n: number }>(
      await ctx.db.execute(sql`
        with changed as (
          select ${paymentAllocations.instalmentId} as id
          from ${payments} inner join ${paymentAllocations} on ${paymentAllocations.paymentId} = ${payments.id}
          where ${payments.tenantId} = ${t} and ${payments.receivedOn} > ${asOf}::date
            and ${paymentAllocations.tenantId} = ${t}
          union
          select ${instalments.id} from ${instalments}
          where ${instalments.tenantId} = ${t} and ${instalments.createdAt} >= ${after}
        ), few as (select id from changed limit ${AGEING_PAST_CHANGES + 1}),
        sums as (
          select ${changedK} as k,
            sum(${thenOpen}) - sum(${nowOpen}) as outstanding,
            sum(${thenOpen}) filter (where ${instalments.dueDate} < ${asOf}::date)
              - sum(${nowOpen}) filter (where ${instalments.dueDate} < ${asOf}::date) as overdue,
            count(*) filter (where ${thenOpen} > 0) - count(*) filter (where ${nowOpen} > 0) as n
          from few inner join ${instalments} on ${instalments.tenantId} = ${t} and ${instalments.id} = few.id
          inner join ${contracts} on ${contracts.id} = ${instalments.contractId}
          where ${and(eq(contracts.tenantId, t), RECEIVABLE, await peopleFilter(ctx, env.scope, env.q, contracts.ownerId))}
          group by 1
        )
        select (select count(*) from few)::int as changes, sums.k, coalesce(sums.outstanding, 0)::float8 as outstanding,
          coalesce(sums.overdue, 0)::float8 as overdue, coalesce(sums.n, 0)::int as n
        from (select 1) one left join sums on true`),
    ),
  ])
  if (Number(changed[0]?.changes ?? 0) > AGEING_PAST_CHANGES) return null
  const sums = new Map<string | null, AgeingSums>()
  const at = (key: string | null) => {
    let s = sums.get(key)
    if (!s) {
      s = { k: key, outstanding: 0, overdue: 0, n: 0 }
      sums.set(key, s)
    }
    return s
  }
  for (const r of kept) {
    const s = at(r.k)
    s.outstanding += Number(r.outstanding)
    s.overdue += Number(r.overdue)
    s.n += Number(r.n)
  }
  for (const r of changed) {
    if (r.k === undefined || (r.k === null && Number(r.n) === 0 && Number(r.outstanding) === 0)) continue
    const s = at(r.k)
    s.outstanding += Number(r.outstanding)
    s.overdue += Number(r.overdue)
    s.n += Number(r.n)
  }
  return ageingRows(
    env,
    [...sums.values()].filter((s) => s.n > 0),
  )
}

/**
 * Receivables ageing (应收账龄) as of the period's last day (or today): the money still open on every
 * instalment of contracts in force, by how long it is overdue (not due yet, 1-30, 31-60, 61-90, over 90
 * days) or by owner. Drilling gives the overdue list, oldest first.
 */
export const ageingReport: ReportDefinition = {
  key: 'receivables-ageing',
  title: { zh: '应收账龄', en: 'Receivables ageing' },
  description: {
    zh: '截至期末仍未收回的回款计划，按逾期天数分段或按负责人；可查看逾期清单',
    en: 'Money still open at the end of the period by days overdue or owner; drill for the overdue list',
  },
  dimensions: [
    {
      key: 'ageing',
      label: { zh: '账龄', en: 'Ageing' },
      kind: 'text',
      ordered: true,
      labelsOf: async (_ctx, keys, locale) =>
        new Map(
          keys.map((k) => [k, say(locale, BUCKETS.find((b) => b.key === k)?.label ?? { zh: k, en: k })]),
        ),
    },
    { key: 'owner', label: { zh: '负责人', en: 'Owner' }, kind: 'person' },
  ],
  measures: [
    money('outstanding', { zh: '未回金额', en: 'Open' }),
    money('overdue', { zh: '逾期金额', en: 'Overdue' }),
    { key: 'instalments', label: { zh: '期数', en: 'Instalments' }, unit: 'count', additive: true },
  ],
  timing: 'snapshot',
  async rows(ctx, env) {
    const asOf = asOfDay(ctx, env)
    if (!env.reference && asOf >= todayOf(ctx, env)) return ageingToday(ctx, env, asOf)
    const past = env.reference ? null : await ageingPast(ctx, env, asOf)
    if (past) return past
    const k = env.dimension.key === 'owner' ? sql`${contracts.ownerId}` : bucketOf(asOf)
    const amount = outstandingOn(ctx, env, asOf)
    // Each instalment's open amount computed once (as of a past day it sums the instalment's allocations):
    // `offset 0` keeps PostgreSQL from pulling the subquery up and repeating that sum in every aggregate.
    const rows = resultRows<{ k: string | null; outstanding: number; overdue: number; n: number }>(
      await ctx.db.execute(sql`
        select k, sum(o)::float8 as outstanding,
          coalesce(sum(o) filter (where due < ${asOf}::date), 0)::float8 as overdue, count(*)::int as n
        from (
          select ${k} as k, ${instalments.dueDate} as due, ${amount} as o
          from ${instalments} inner join ${contracts} on ${contracts.id} = ${instalments.contractId}
          where ${await ageingWhere(ctx, env, asOf, false)}
          offset 0
        ) s
        where o > 0
        group by 1`),
    )
    return ageingRows(
      env,
      rows.map((r) => ({
        k: r.k,
        outstanding: Number(r.outstanding),
        overdue: Number(r.overdue),
        n: Number(r.n),
      })),
    )
  },
  async records(ctx, env, drill) {
    const asOf = asOfDay(ctx, env)
    const k = env.dimension.key === 'owner' ? sql`${contracts.ownerId}` : bucketOf(asOf)
    return instalmentRecords(
      ctx,
      env,
      and(
        await ageingWhere(ctx, env, asOf),
        drill.value === undefined
          ? undefined
          : drill.value === null
            ? sql`${k} is null`
            : sql`${k} = ${drill.value}`,
        drill.measure === 'overdue' ? sql`${instalments.dueDate} < ${asOf}::date` : undefined,
      ) as SQL,
      drill.limit,
      outstandingOn(ctx, env, asOf),
    )
  },
}
