import { eq, sql } from 'drizzle-orm'
import { opportunities, stageHistory, stages, winModels } from '../../../db/schema'
import { resultRows } from '../../lib/sql-rows'
import type { ServiceContext } from '../context'
import { assessBands, type DealBands, storeWinModel, type WinVariable, winModelFromCounts } from './win-model'

/** The most recent closed deals the model learns from (older history says less about today's team). */
const HISTORY = 20_000
const BATCH = 250

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
  const _openStages = new Set(stageRows.filter((s) => s.kind === 'open').map((s) => s.id))
  const stageNames = new Map(stageRows.map((s) => [s.id, s.name]))
  const stageNamesEn = new Map(stageRows.map((s) => [s.id, s.nameEn ?? s.name]))

  const training = await trainingCounts(ctx)
  const model = winModelFromCounts(training.won, training.lost, training.counts)
  const closedCount = training.won + training.lost
  // Kept for stage changes between nightly runs (assessed at once with the same model).
  if (model) {
    const stored = { model: storeWinModel(model), closedDeals: closedCount, trainedAt: now }
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
    return { learned: false, closed: closedCount, updated }
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
  return { learned: true, closed: closedCount, updated }
}

/**
 * What `trainWinModel` counts, counted in SQL over the latest closed deals (one statement; no deal comes
 * into this process): won and lost totals, and per (variable, value) how many won and lost deals had it.
 * A deal counts for every open stage it reached; its stage age is the time in the last open stage it
 * entered (`entered_at`, then id), up to leaving it or else closing; bands as `dealBands` and win-model's.
 */
async function trainingCounts(
  ctx: ServiceContext,
): Promise<{ won: number; lost: number; counts: Array<[WinVariable, string, number, number]> }> {
  const t = ctx.tenantId
  const [row] = resultRows<{
    won: number
    lost: number
    counts: Array<[WinVariable, string, number, number]> | null
  }>(
    await ctx.db.execute(sql`
      with closed as (
        select o.id, o.status = 'won' as won, o.amount_cents, o.channel, o.competitors, o.close_date_slips,
          coalesce(o.closed_at, o.updated_at) as ended
        from ${opportunities} as o
        where o.tenant_id = ${t} and o.status in ('won', 'lost')
        order by o.closed_at desc limit ${HISTORY}),
      reached as (
        select h.opportunity_id, h.stage_id, h.entered_at, h.left_at,
          row_number() over (partition by h.opportunity_id order by h.entered_at desc, h.id desc) as back
        from ${stageHistory} as h
        join closed c on c.id = h.opportunity_id
        join ${stages} as s on s.id = h.stage_id and s.tenant_id = ${t} and s.kind = 'open'
        where h.tenant_id = ${t}),
      deal as (
        select c.won,
          coalesce(greatest(0, extract(epoch from coalesce(l.left_at, c.ended) - l.entered_at) / 86400), 0) as age,
          c.amount_cents, c.channel, c.competitors, c.close_date_slips
        from closed c left join reached l on l.opportunity_id = c.id and l.back = 1),
      cells as (
        select 'stage' as variable, r.stage_id as value, c.won
          from (select distinct opportunity_id, stage_id from reached) r join closed c on c.id = r.opportunity_id
        union all
        select 'stage_age', case when age < 7 then '<7' when age < 30 then '7-30' when age < 90 then '30-90'
          else '90+' end, won from deal
        union all
        select 'amount', case when amount_cents < 1000000 then '<1w' when amount_cents < 10000000 then '1w-10w'
          when amount_cents < 100000000 then '10w-100w' else '100w+' end, won from deal
        union all
        select 'channel', coalesce(channel, '-'), won from deal
        union all
        select 'competitor', case when jsonb_array_length(competitors) > 0 then 'yes' else 'no' end, won from deal
        union all
        select 'slips', case when close_date_slips <= 0 then '0' when close_date_slips = 1 then '1' else '2+' end,
          won from deal)
      select (select count(*) filter (where won) from closed)::int as won,
        (select count(*) filter (where not won) from closed)::int as lost,
        (select json_agg(json_build_array(variable, value, w, l) order by variable, value)
           from (select variable, value, count(*) filter (where won)::int as w,
                   count(*) filter (where not won)::int as l
                 from cells group by variable, value) g) as counts`),
  )
  return { won: row?.won ?? 0, lost: row?.lost ?? 0, counts: row?.counts ?? [] }
}
