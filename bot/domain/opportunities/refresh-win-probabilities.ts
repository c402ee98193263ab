import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm'
import { opportunities, stageHistory, stages, winModels } from '../../../db/schema'
import { resultRows } from '../../lib/sql-rows'
import type { ServiceContext } from '../context'
import { assessBands, type ClosedDeal, type DealBands, storeWinModel, trainWinModel } from './win-model'

const DAY_MS = 86_400_000
/** The most recent closed deals the model learns from (older history says less about today's team). */
const HISTORY = 20_000
const BATCH = 250
/** Closed deals whose stage history one read fetches (reads only: no row is locked). */
const HISTORY_BATCH = 1_000

/**
 * A deal's bands (alias `o`) as win-model's `ageBand`, `amountBand`, `slipBand` and its channel and
 * competitor values: the columns stage, stage_age, amount, channel, competitor, slips. `now` is ISO time.
 */
const dealBands = (now: string) => sql`o.stage_id as stage,
  case when o.stage_entered_at > ${now}::timestamptz - interval '7 days' then '<7'
    when o.stage_entered_at > ${now}::timestamptz - interval '30 days' then '7-30'
    when o.stage_entered_at > ${now}::timestamptz - interval '90 days' then '30-90' else '90+' end as stage_age,
  case when o.amount_cents < 1000000 then '<1w' when o.amount_cents < 10000000 then '1w-10w'
    when o.amount_cents < 100000000 then '10w-100w' else '100w+' end as amount,
  coalesce(o.channel, '-') as channel,
  case when jsonb_array_length(o.competitors) > 0 then 'yes' else 'no' end as competitor,
  case when o.close_date_slips <= 0 then '0' when o.close_date_slips = 1 then '1' else '2+' end as slips`

/**
 * Nightly: learns the tenant's win model from its closed deals and writes each open deal's probability
 * and top factors. With too little history every open deal keeps (or returns to) its stage default.
 * Pages of 250 deals, each statement its own short transaction; `updated_at` and `version` are left alone
 * (a re-assessment is not an edit).
 */
export async function refreshWinProbabilities({
  ctx,
  batchSize = BATCH,
}: {
  ctx: ServiceContext
  /** Open deals per page (tests make it small to cross page boundaries). */
  batchSize?: number
}): Promise<{ learned: boolean; closed: number; updated: number }> {
  const t = ctx.tenantId
  const now = ctx.clock.now()
  const stageRows = await ctx.db
    .select({ id: stages.id, name: stages.name, nameEn: stages.nameEn, kind: stages.kind })
    .from(stages)
    .where(eq(stages.tenantId, t))
  const openStages = new Set(stageRows.filter((s) => s.kind === 'open').map((s) => s.id))
  const stageNames = new Map(stageRows.map((s) => [s.id, s.name]))
  const stageNamesEn = new Map(stageRows.map((s) => [s.id, s.nameEn ?? s.name]))

  const closedRows = await ctx.db
    .select({
      id: opportunities.id,
      status: opportunities.status,
      amountCents: opportunities.amountCents,
      channel: opportunities.channel,
      competitors: opportunities.competitors,
      closeDateSlips: opportunities.closeDateSlips,
      closedAt: opportunities.closedAt,
      updatedAt: opportunities.updatedAt,
    })
    .from(opportunities)
    .where(and(eq(opportunities.tenantId, t), inArray(opportunities.status, ['won', 'lost'])))
    .orderBy(desc(opportunities.closedAt))
    .limit(HISTORY)
  const visits = new Map<string, Array<{ stageId: string; enteredAt: Date; leftAt: Date | null }>>()
  for (let i = 0; i < closedRows.length; i += HISTORY_BATCH) {
    const ids = closedRows.slice(i, i + HISTORY_BATCH).map((r) => r.id)
    const rows = await ctx.db
      .select({
        opportunityId: stageHistory.opportunityId,
        stageId: stageHistory.stageId,
        enteredAt: stageHistory.enteredAt,
        leftAt: stageHistory.leftAt,
      })
      .from(stageHistory)
      .where(and(eq(stageHistory.tenantId, t), inArray(stageHistory.opportunityId, ids)))
      .orderBy(asc(stageHistory.enteredAt), asc(stageHistory.id))
    for (const r of rows) {
      if (!openStages.has(r.stageId)) continue
      const list = visits.get(r.opportunityId) ?? []
      list.push(r)
      visits.set(r.opportunityId, list)
    }
  }
  const closed: ClosedDeal[] = closedRows.map((r) => {
    const v = visits.get(r.id) ?? []
    const last = v[v.length - 1]
    const end = last?.leftAt ?? r.closedAt ?? r.updatedAt
    return {
      won: r.status === 'won',
      stages: v.map((x) => x.stageId),
      stageAgeDays: last ? Math.max(0, (end.getTime() - last.enteredAt.getTime()) / DAY_MS) : 0,
      amountCents: r.amountCents,
      channel: r.channel,
      hasCompetitor: r.competitors.length > 0,
      closeDateSlips: r.closeDateSlips,
    }
  })
  const model = trainWinModel(closed)
  // Kept for stage changes between nightly runs (assessed at once with the same model).
  if (model) {
    const stored = { model: storeWinModel(model), closedDeals: closed.length, trainedAt: now }
    await ctx.db
      .insert(winModels)
      .values({ tenantId: t, ...stored })
      .onConflictDoUpdate({ target: winModels.tenantId, set: stored })
  } else await ctx.db.delete(winModels).where(eq(winModels.tenantId, t))

  let updated = 0
  if (!model) {
    // Back to the stage default wherever a learned value is left from an earlier, larger history.
    for (;;) {
      const res = await ctx.db.execute(sql`
        update ${opportunities} as o set win_probability = s.probability, probability_factors = '[]'::jsonb
        from ${stages} as s
        where o.id in (
          select o2.id from ${opportunities} as o2 join ${stages} as s2 on s2.id = o2.stage_id
          where o2.tenant_id = ${t} and o2.status = 'open'
            and (o2.win_probability <> s2.probability or o2.probability_factors <> '[]'::jsonb)
          limit ${BATCH})
          and s.id = o.stage_id and o.tenant_id = ${t}
        returning o.id`)
      const n = resultRows<{ id: string }>(res).length
      updated += n
      if (n < BATCH) break
    }
    return { learned: false, closed: closed.length, updated }
  }

  // Open deals page by page (keyset on id): the page's bands are computed and grouped in SQL, only the
  // distinct combinations come here to be assessed (once each, cached across pages), and one update writes
  // the page, skipping deals whose value is already current. Two short statements per page.
  const assessed = new Map<string, { p: number; f: string }>()
  const nowAt = now.toISOString()
  let after = ''
  for (;;) {
    const combos = resultRows<DealBands & { n: number; last: string }>(
      await ctx.db.execute(sql`
        with page as (
          select o.id, ${dealBands(nowAt)} from ${opportunities} as o
          where o.tenant_id = ${t} and o.status = 'open' and o.id > ${after}
          order by o.id limit ${batchSize})
        select stage, stage_age, amount, channel, competitor, slips, count(*)::int as n,
          (select max(id) from page) as last
        from page group by 1, 2, 3, 4, 5, 6`),
    )
    if (combos.length === 0) break
    const values = combos.map((c) => {
      const k = [c.stage, c.stage_age, c.amount, c.channel, c.competitor, c.slips].join('\u0000')
      let a = assessed.get(k)
      if (!a) {
        const r = assessBands(model, c, stageNames, stageNamesEn)
        a = { p: r.probability, f: JSON.stringify(r.factors) }
        assessed.set(k, a)
      }
      return {
        stage: c.stage,
        stage_age: c.stage_age,
        amount: c.amount,
        channel: c.channel,
        competitor: c.competitor,
        slips: c.slips,
        p: a.p,
        f: a.f,
      }
    })
    const last = combos[0]?.last ?? after
    const n = combos.reduce((s, c) => s + c.n, 0)
    await ctx.db.execute(sql`
      update ${opportunities} as u set win_probability = v.p, probability_factors = v.f::jsonb
      from (select o.id, ${dealBands(nowAt)} from ${opportunities} as o
            where o.tenant_id = ${t} and o.status = 'open' and o.id > ${after} and o.id <= ${last}) b
      join jsonb_to_recordset(${JSON.stringify(values)}::jsonb)
        as v(stage text, stage_age text, amount text, channel text, competitor text, slips text, p int, f text)
        on (b.stage, b.stage_age, b.amount, b.channel, b.competitor, b.slips)
          = (v.stage, v.stage_age, v.amount, v.channel, v.competitor, v.slips)
      where u.id = b.id and u.tenant_id = ${t}
        and (u.win_probability <> v.p or u.probability_factors <> v.f::jsonb)`)
    updated += n
    after = last
    if (n < batchSize) break
  }
  return { learned: true, closed: closed.length, updated }
}
