import { and, asc, desc, eq, gt, inArray, sql } from 'drizzle-orm'
import { opportunities, stageHistory, stages, winModels } from '../../../db/schema'
import { resultRows } from '../../lib/sql-rows'
import type { ServiceContext } from '../context'
import { assessDeal, type ClosedDeal, storeWinModel, trainWinModel } from './win-model'

const DAY_MS = 86_400_000
/** The most recent closed deals the model learns from (older history says less about today's team). */
const HISTORY = 20_000
const BATCH = 1_000

/**
 * Nightly: learns the tenant's win model from its closed deals and writes each open deal's probability
 * and top factors. With too little history every open deal keeps (or returns to) its stage default.
 * Batches of 1,000 rows per statement, so no lock is held long; `updated_at` and `version` are left alone
 * (a re-assessment is not an edit).
 */
export async function refreshWinProbabilities({
  ctx,
}: {
  ctx: ServiceContext
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
  for (let i = 0; i < closedRows.length; i += BATCH) {
    const ids = closedRows.slice(i, i + BATCH).map((r) => r.id)
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

  let after = ''
  for (;;) {
    const open = await ctx.db
      .select({
        id: opportunities.id,
        stageId: opportunities.stageId,
        stageEnteredAt: opportunities.stageEnteredAt,
        amountCents: opportunities.amountCents,
        channel: opportunities.channel,
        competitors: opportunities.competitors,
        closeDateSlips: opportunities.closeDateSlips,
      })
      .from(opportunities)
      .where(
        and(eq(opportunities.tenantId, t), eq(opportunities.status, 'open'), gt(opportunities.id, after)),
      )
      .orderBy(asc(opportunities.id))
      .limit(BATCH)
    if (open.length === 0) break
    const assessed = open.map((o) => ({
      id: o.id,
      ...assessDeal(
        model,
        {
          stages: [o.stageId],
          stageAgeDays: Math.max(0, (now.getTime() - o.stageEnteredAt.getTime()) / DAY_MS),
          amountCents: o.amountCents,
          channel: o.channel,
          hasCompetitor: o.competitors.length > 0,
          closeDateSlips: o.closeDateSlips,
        },
        stageNames,
        stageNamesEn,
      ),
    }))
    const rows = sql.join(
      assessed.map((a) => sql`(${a.id}, ${a.probability}::int, ${JSON.stringify(a.factors)}::jsonb)`),
      sql`, `,
    )
    await ctx.db.execute(sql`
      update ${opportunities} as o set win_probability = v.p, probability_factors = v.f
      from (values ${rows}) as v(id, p, f)
      where o.id = v.id and o.tenant_id = ${t} and o.status = 'open'`)
    updated += assessed.length
    after = open[open.length - 1]?.id ?? after
    if (open.length < BATCH) break
  }
  return { learned: true, closed: closed.length, updated }
}
