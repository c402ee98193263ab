import { and, desc, eq, gte, inArray, lte, sql } from 'drizzle-orm'
import type { AnyPgColumn } from 'drizzle-orm/pg-core'
import {
  contracts,
  customers,
  departments,
  followUps,
  opportunities,
  payments,
  personDaily,
  salesTargets,
  userDepartments,
  users,
  visits,
} from '../../../../db/schema'
import type { ServiceContext } from '../../context'
import { activityReport } from './activity'
import { dealLink } from './deals'
import type { MeasureDef, ReportDefinition, ReportRow, RunEnv } from './define'
import { inDays, inPeriod, peopleFilter } from './filters'

/** The target kinds whose actual figures exist today, with where each actual comes from. */
const ACTUALS = [
  {
    kind: 'new_customers',
    key: 'newCustomers',
    table: customers,
    tenant: customers.tenantId,
    person: customers.ownerId,
    time: customers.createdAt,
    zh: '新增客户',
    en: 'New customers',
  },
  {
    kind: 'new_opportunities',
    key: 'newOpportunities',
    table: opportunities,
    tenant: opportunities.tenantId,
    person: opportunities.ownerId,
    time: opportunities.createdAt,
    zh: '新增商机',
    en: 'New opportunities',
  },
  {
    kind: 'visits',
    key: 'visits',
    table: visits,
    tenant: visits.tenantId,
    person: visits.userId,
    time: visits.checkInAt,
    zh: '拜访',
    en: 'Visits',
  },
  {
    kind: 'follow_ups',
    key: 'followUps',
    table: followUps,
    tenant: followUps.tenantId,
    person: followUps.authorId,
    time: followUps.createdAt,
    zh: '跟进',
    en: 'Follow-ups',
  },
] as const

/**
 * Money targets beside their actuals, per owner: contracts by the day they took effect (active or completed,
 * terminated ones too, as they were signed business), 回款 by the day received, credited to the contract's
 * owner. Both plain ranges on indexed columns.
 */
const AMOUNTS = [
  { kind: 'contract_amount', key: 'contractAmount', zh: '合同金额', en: 'Contract amount' },
  { kind: 'payment_amount', key: 'paymentAmount', zh: '回款金额', en: 'Payments' },
] as const

async function amountsByPerson(ctx: ServiceContext, env: RunEnv, out: Map<string, Record<string, number>>) {
  const [signed, received] = await Promise.all([
    ctx.db
      .select({ k: contracts.ownerId, n: sql<number>`coalesce(sum(${contracts.amountCents}), 0)::float8` })
      .from(contracts)
      .where(
        and(
          eq(contracts.tenantId, ctx.tenantId),
          inPeriod(contracts.activatedAt, env.period),
          await peopleFilter(ctx, env.scope, env.q, contracts.ownerId),
        ),
      )
      .groupBy(contracts.ownerId),
    ctx.db
      .select({ k: contracts.ownerId, n: sql<number>`coalesce(sum(${payments.amountCents}), 0)::float8` })
      .from(payments)
      .innerJoin(contracts, eq(contracts.id, payments.contractId))
      .where(
        and(
          eq(payments.tenantId, ctx.tenantId),
          inDays(payments.receivedOn, env.q),
          await peopleFilter(ctx, env.scope, env.q, contracts.ownerId),
        ),
      )
      .groupBy(contracts.ownerId),
  ])
  for (const [key, rows] of [
    ['contractAmount', signed],
    ['paymentAmount', received],
  ] as const) {
    for (const r of rows) {
      const rec = out.get(r.k) ?? {}
      rec[key] = Number(r.n)
      out.set(r.k, rec)
    }
  }
}

const measures: MeasureDef[] = [
  ...ACTUALS.flatMap((a): MeasureDef[] => [
    {
      key: `${a.key}Target`,
      label: { zh: `${a.zh}目标`, en: `${a.en} target` },
      unit: 'count',
      additive: true,
    },
    { key: a.key, label: { zh: `${a.zh}完成`, en: `${a.en} done` }, unit: 'count', additive: true },
    {
      key: `${a.key}Rate`,
      label: { zh: `${a.zh}完成率`, en: `${a.en} achieved` },
      unit: 'percent',
      additive: false,
    },
  ]),
  ...AMOUNTS.flatMap((a): MeasureDef[] => [
    {
      key: `${a.key}Target`,
      label: { zh: `${a.zh}目标`, en: `${a.en} target` },
      unit: 'cents',
      additive: true,
    },
    { key: a.key, label: { zh: `${a.zh}完成`, en: `${a.en} done` }, unit: 'cents', additive: true },
    {
      key: `${a.key}Rate`,
      label: { zh: `${a.zh}完成率`, en: `${a.en} achieved` },
      unit: 'percent',
      additive: false,
    },
  ]),
]

const monthOf = (day: string) => day.slice(0, 7)
const rate = (done: number | null, target: number | null) =>
  done === null || !target ? null : Math.round((done * 1000) / target) / 10

/**
 * Every actual per person from the person-day rollup (report_person_daily): one range read over the
 * period's days instead of six scans. A person whose figures netted to nothing (records deleted) has no row,
 * as in the raw counts; one with a contract or payment for 0 has one, as the raw sums give them.
 */
async function rolledUpByPerson(ctx: ServiceContext, env: RunEnv) {
  const p = personDaily
  const rows = await ctx.db
    .select({
      k: p.userId,
      newCustomers: sql<number>`sum(${p.customers})::float8`,
      newOpportunities: sql<number>`sum(${p.opportunities})::float8`,
      visits: sql<number>`sum(${p.visits})::float8`,
      followUps: sql<number>`sum(${p.followUps})::float8`,
      contractAmount: sql<number>`sum(${p.contractCents})::float8`,
      paymentAmount: sql<number>`sum(${p.paymentCents})::float8`,
      records: sql<number>`sum(${p.contracts} + ${p.payments})::float8`,
    })
    .from(p)
    .where(
      and(
        eq(p.tenantId, ctx.tenantId),
        sql`${p.userId} <> ''`,
        inDays(p.day, env.q),
        await peopleFilter(ctx, env.scope, env.q, p.userId),
      ),
    )
    .groupBy(p.userId)
  const out = new Map<string, Record<string, number>>()
  for (const { k, records, ...figures } of rows) {
    const rec: Record<string, number> = {}
    for (const [key, n] of Object.entries(figures)) if (Number(n) !== 0) rec[key] = Number(n)
    // A contract or payment for 0 still makes its owner one of the people with figures.
    if (Object.keys(rec).length > 0 || Number(records) > 0) out.set(k, rec)
  }
  return out
}

/** Actual counts per person for each kind in the period, within scope and filters. */
async function actualsByPerson(ctx: ServiceContext, env: RunEnv) {
  if (!env.reference) return rolledUpByPerson(ctx, env)
  const out = new Map<string, Record<string, number>>()
  for (const a of ACTUALS) {
    const person = a.person as AnyPgColumn
    const rows = await ctx.db
      .select({ k: person, n: sql<number>`count(*)::int` })
      .from(a.table)
      .where(
        and(
          eq(a.tenant as AnyPgColumn, ctx.tenantId),
          inPeriod(a.time as AnyPgColumn, env.period),
          await peopleFilter(ctx, env.scope, env.q, person),
        ),
      )
      .groupBy(person)
    for (const r of rows) {
      if (!r.k) continue
      const rec = out.get(String(r.k)) ?? {}
      rec[a.key] = Number(r.n)
      out.set(String(r.k), rec)
    }
  }
  await amountsByPerson(ctx, env, out)
  return out
}

async function targetsBy(
  ctx: ServiceContext,
  env: RunEnv,
  subjectKind: 'user' | 'department',
  ids: string[],
) {
  const out = new Map<string, Record<string, number>>()
  if (ids.length === 0) return out
  const rows = await ctx.db
    .select({
      subject: salesTargets.subjectId,
      kind: salesTargets.kind,
      value: sql<number>`sum(${salesTargets.value})::float8`,
    })
    .from(salesTargets)
    .where(
      and(
        eq(salesTargets.tenantId, ctx.tenantId),
        eq(salesTargets.subjectKind, subjectKind),
        inArray(salesTargets.subjectId, ids),
        gte(salesTargets.month, monthOf(env.q.from)),
        lte(salesTargets.month, monthOf(env.q.to)),
      ),
    )
    .groupBy(salesTargets.subjectId, salesTargets.kind)
  const keyOfKind = new Map<string, string>([...ACTUALS, ...AMOUNTS].map((a) => [a.kind, a.key]))
  for (const r of rows) {
    const rec = out.get(r.subject) ?? {}
    rec[keyOfKind.get(r.kind) ?? r.kind] = Number(r.value)
    out.set(r.subject, rec)
  }
  return out
}

function toRow(
  key: string,
  target: Record<string, number> | undefined,
  done: Record<string, number> | undefined,
): ReportRow {
  const values: Record<string, number | null> = {}
  for (const a of [...ACTUALS, ...AMOUNTS]) {
    const t = target?.[a.key] ?? null
    const d = done?.[a.key] ?? 0
    values[`${a.key}Target`] = t
    values[a.key] = d
    values[`${a.key}Rate`] = rate(d, t)
  }
  return { key, label: '', values }
}

/**
 * Target achievement (业绩目标完成): each person's or department's targets for the months of the period
 * beside what they did. A department's actuals are its people's (sub-departments included); its target is
 * the department's own, so a manager sees the team against the team's number.
 */
export const targetsReport: ReportDefinition = {
  key: 'achievement',
  title: { zh: '目标完成', en: 'Target achievement' },
  description: {
    zh: '期间内各人/各部门的目标与完成情况（月度目标按期间汇总）',
    en: 'Targets for the months of the period beside what each person or department did',
  },
  dimensions: [
    { key: 'person', label: { zh: '人员', en: 'Person' }, kind: 'person' },
    { key: 'department', label: { zh: '部门', en: 'Department' }, kind: 'department' },
  ],
  measures,
  timing: 'period',
  async rows(ctx, env) {
    const visible = await ctx.db
      .select({ id: users.id })
      .from(users)
      .where(
        and(
          eq(users.tenantId, ctx.tenantId),
          eq(users.status, 'active'),
          await peopleFilter(ctx, env.scope, env.q, users.id),
        ),
      )
    const people = visible.map((u) => u.id)
    const done = await actualsByPerson(ctx, env)
    if (env.dimension.key === 'person') {
      const targets = await targetsBy(ctx, env, 'user', people)
      return people
        .filter((id) => targets.has(id) || done.has(id))
        .map((id) => toRow(id, targets.get(id), done.get(id)))
    }
    // Departments: every department one of the visible people belongs to, and the ones above it.
    const memberships = people.length
      ? await ctx.db
          .select({ userId: userDepartments.userId, path: departments.path })
          .from(userDepartments)
          .innerJoin(departments, eq(departments.id, userDepartments.departmentId))
          .where(and(eq(userDepartments.tenantId, ctx.tenantId), inArray(userDepartments.userId, people)))
      : []
    const perDept = new Map<string, Record<string, number>>()
    const seen = new Set<string>()
    for (const m of memberships) {
      const ids = m.path.split('/').filter(Boolean)
      for (const d of ids) {
        const key = `${d}:${m.userId}`
        if (seen.has(key)) continue
        seen.add(key)
        const sum = perDept.get(d) ?? {}
        for (const [k, n] of Object.entries(done.get(m.userId) ?? {})) sum[k] = (sum[k] ?? 0) + n
        perDept.set(d, sum)
      }
    }
    const deptIds = [...perDept.keys()]
    const targets = await targetsBy(ctx, env, 'department', deptIds)
    return deptIds.map((d) => toRow(d, targets.get(d), perDept.get(d)))
  },
  async records(ctx, env, drill) {
    // A person's figure drills to that person's records; a department's to its people's (the filters
    // already narrow to the department when one is chosen).
    const personEnv: RunEnv =
      env.dimension.key === 'person' && drill.value
        ? { ...env, q: { ...env.q, userId: drill.value } }
        : env.dimension.key === 'department' && drill.value
          ? { ...env, q: { ...env.q, departmentId: drill.value, includeSub: true } }
          : env
    const measure = drill.measure?.replace(/(Target|Rate)$/, '')
    if (measure === 'visits' || measure === 'followUps')
      return activityReport.records(
        ctx,
        { ...personEnv, dimension: activityReport.dimensions[0] as RunEnv['dimension'] },
        { value: undefined, measure, limit: drill.limit },
      )
    if (measure === 'newOpportunities') {
      const deals = await ctx.db
        .select({
          id: opportunities.id,
          name: opportunities.name,
          status: opportunities.status,
          customerId: opportunities.customerId,
          at: opportunities.createdAt,
        })
        .from(opportunities)
        .where(
          and(
            eq(opportunities.tenantId, ctx.tenantId),
            inPeriod(opportunities.createdAt, env.period),
            await peopleFilter(ctx, personEnv.scope, personEnv.q, opportunities.ownerId),
          ),
        )
        .orderBy(desc(opportunities.createdAt))
        .limit(drill.limit)
      return deals.map((r) => ({
        kind: 'opportunity' as const,
        id: r.id,
        title: r.name,
        subtitle: r.status,
        at: r.at.toISOString(),
        link: dealLink(r.customerId),
      }))
    }
    const rows = await ctx.db
      .select({
        id: customers.id,
        name: customers.name,
        industry: customers.industry,
        at: customers.createdAt,
      })
      .from(customers)
      .where(
        and(
          eq(customers.tenantId, ctx.tenantId),
          inPeriod(customers.createdAt, env.period),
          await peopleFilter(ctx, personEnv.scope, personEnv.q, customers.ownerId),
        ),
      )
      .orderBy(desc(customers.createdAt))
      .limit(drill.limit)
    return rows.map((r) => ({
      kind: 'customer' as const,
      id: r.id,
      title: r.name,
      subtitle: r.industry,
      at: r.at.toISOString(),
      link: `/app/customers/${r.id}`,
    }))
  },
}
