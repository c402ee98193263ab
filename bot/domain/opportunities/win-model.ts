import type { ProbabilityFactor, WinVariable } from '../../../db/schema'

/**
 * The tenant's learned win probability: naive Bayes over what its own closed deals say (as Odoo's
 * predictive lead scoring), explainable factor by factor. Pure: training data in, a model out.
 *
 * Variables, each a small set of values (bands), so a few hundred closed deals fill every cell:
 * - `stage`: the open stages a deal reached. A closed deal counts for every open stage it passed through,
 *   so "won after reaching 方案报价" is learned from deals that are now 赢单.
 * - `stage_age`: days in the current stage (for a closed deal: in the last open stage before closing).
 * - `amount`: amount band.  - `channel`: source channel.  - `competitor`: any competitor named.
 * - `slips`: how often the expected close date moved later.
 */
export type { WinVariable }

export interface DealFeatures {
  /** Open stages reached (a closed deal) or the current stage (an open one). */
  stages: string[]
  stageAgeDays: number
  amountCents: number
  channel: string | null
  hasCompetitor: boolean
  closeDateSlips: number
}

export interface ClosedDeal extends DealFeatures {
  won: boolean
}

interface Cell {
  won: number
  lost: number
}

export interface WinModel {
  wonTotal: number
  lostTotal: number
  counts: Map<string, Cell>
}

/** Below this many closed deals (or this many of either outcome) the stage default stands. */
export const MIN_CLOSED = 30
export const MIN_PER_OUTCOME = 8

export const ageBand = (days: number): string =>
  days < 7 ? '<7' : days < 30 ? '7-30' : days < 90 ? '30-90' : '90+'
export const amountBand = (cents: number): string =>
  cents < 1_000_000 ? '<1w' : cents < 10_000_000 ? '1w-10w' : cents < 100_000_000 ? '10w-100w' : '100w+'
const slipBand = (n: number): string => (n <= 0 ? '0' : n === 1 ? '1' : '2+')

/** Single-valued variables of a deal (stage is handled apart: a closed deal may have reached several). */
function values(d: DealFeatures): Array<[WinVariable, string]> {
  return [
    ['stage_age', ageBand(d.stageAgeDays)],
    ['amount', amountBand(d.amountCents)],
    ['channel', d.channel ?? '-'],
    ['competitor', d.hasCompetitor ? 'yes' : 'no'],
    ['slips', slipBand(d.closeDateSlips)],
  ]
}

const key = (variable: WinVariable, value: string) => `${variable}\u0000${value}`

/** Counts per (variable, value) of won and lost deals; null when there is too little history. */
export function trainWinModel(closed: readonly ClosedDeal[]): WinModel | null {
  const wonTotal = closed.filter((d) => d.won).length
  const lostTotal = closed.length - wonTotal
  if (closed.length < MIN_CLOSED || wonTotal < MIN_PER_OUTCOME || lostTotal < MIN_PER_OUTCOME) return null
  const counts = new Map<string, Cell>()
  const add = (k: string, won: boolean) => {
    const c = counts.get(k) ?? { won: 0, lost: 0 }
    if (won) c.won++
    else c.lost++
    counts.set(k, c)
  }
  for (const d of closed) {
    for (const s of new Set(d.stages)) add(key('stage', s), d.won)
    for (const [v, x] of values(d)) add(key(v, x), d.won)
  }
  return { wonTotal, lostTotal, counts }
}

/**
 * The model from counts already made (the nightly refresh counts in SQL, as `trainWinModel` does in
 * memory); null when there is too little history, by the same thresholds.
 */
export function winModelFromCounts(
  wonTotal: number,
  lostTotal: number,
  counts: ReadonlyArray<[WinVariable, string, number, number]>,
): WinModel | null {
  if (wonTotal + lostTotal < MIN_CLOSED || wonTotal < MIN_PER_OUTCOME || lostTotal < MIN_PER_OUTCOME)
    return null
  return loadWinModel({ wonTotal, lostTotal, counts: [...counts] })
}

/** Laplace-smoothed likelihoods P(value | won), P(value | lost) of one observation. */
function likelihood(model: WinModel, variable: WinVariable, value: string): { won: number; lost: number } {
  const c = model.counts.get(key(variable, value)) ?? { won: 0, lost: 0 }
  // Stage counts are "reached", not exclusive: smoothing over two outcomes (reached / not) for every variable.
  return { won: (c.won + 1) / (model.wonTotal + 2), lost: (c.lost + 1) / (model.lostTotal + 2) }
}

function observations(d: DealFeatures): Array<[WinVariable, string]> {
  const stage = d.stages[d.stages.length - 1]
  return [...(stage ? ([['stage', stage]] as Array<[WinVariable, string]>) : []), ...values(d)]
}

/** P(won) from a set of observations, in log space. */
function probability(model: WinModel, obs: Array<[WinVariable, string]>): number {
  let logWon = Math.log(model.wonTotal / (model.wonTotal + model.lostTotal))
  let logLost = Math.log(model.lostTotal / (model.wonTotal + model.lostTotal))
  for (const [v, x] of obs) {
    const l = likelihood(model, v, x)
    logWon += Math.log(l.won)
    logLost += Math.log(l.lost)
  }
  return 1 / (1 + Math.exp(logLost - logWon))
}

export interface Assessment {
  probability: number
  factors: ProbabilityFactor[]
}

/** Factor labels in both languages: the reader's locale picks (`factor`/`value` zh, `factorEn`/`valueEn`). */
const LABELS: Record<WinVariable, { zh: string; en: string }> = {
  stage: { zh: '所处阶段', en: 'Stage' },
  stage_age: { zh: '阶段停留', en: 'Time in stage' },
  amount: { zh: '金额', en: 'Amount' },
  channel: { zh: '来源渠道', en: 'Channel' },
  competitor: { zh: '竞争对手', en: 'Competitor' },
  slips: { zh: '成交日推迟', en: 'Close date slipped' },
}

function valueLabel(
  variable: WinVariable,
  value: string,
  stageNames: Map<string, string>,
  stageNamesEn: Map<string, string>,
): { zh: string; en: string } {
  switch (variable) {
    case 'stage': {
      const zh = stageNames.get(value) ?? value
      return { zh, en: stageNamesEn.get(value) ?? zh }
    }
    case 'stage_age':
      return { zh: `${value} 天`, en: `${value} days` }
    case 'amount':
      return { zh: value.replace(/w/g, '万'), en: value.replace(/w/g, '0k') }
    case 'channel':
      return value === '-' ? { zh: '未知', en: 'Unknown' } : { zh: value, en: value }
    case 'competitor':
      return value === 'yes' ? { zh: '有', en: 'Yes' } : { zh: '无', en: 'None' }
    case 'slips':
      return { zh: `${value} 次`, en: value === '1' ? '1 time' : `${value} times` }
  }
}

/** The model as stored (`sales_win_models`): counts as rows, JSON-safe. */
export interface StoredWinModel {
  wonTotal: number
  lostTotal: number
  counts: Array<[WinVariable, string, number, number]>
}

export function storeWinModel(model: WinModel): StoredWinModel {
  return {
    wonTotal: model.wonTotal,
    lostTotal: model.lostTotal,
    counts: [...model.counts].map(([k, c]) => {
      const [variable, value] = k.split('\u0000') as [WinVariable, string]
      return [variable, value, c.won, c.lost]
    }),
  }
}

export function loadWinModel(stored: StoredWinModel): WinModel {
  return {
    wonTotal: stored.wonTotal,
    lostTotal: stored.lostTotal,
    counts: new Map(stored.counts.map(([v, x, won, lost]) => [key(v, x), { won, lost }])),
  }
}

/**
 * A deal's probability (whole percent, 1–99) and its top factors: each factor's effect is how many points
 * the probability moves when that observation is taken into account versus left out.
 */
export function assessDeal(
  model: WinModel,
  deal: DealFeatures,
  stageNames: Map<string, string>,
  stageNamesEn: Map<string, string> = new Map(),
): Assessment {
  return assessObservations(model, observations(deal), stageNames, stageNamesEn)
}

/** The observations a deal is assessed on: its current stage and its bands (see `values`). */
export interface DealBands {
  stage: string
  stage_age: string
  amount: string
  channel: string
  competitor: string
  slips: string
}

/** `assessDeal` for a deal given by its bands, as computed in SQL by the nightly refresh. */
export function assessBands(
  model: WinModel,
  b: DealBands,
  stageNames: Map<string, string>,
  stageNamesEn: Map<string, string> = new Map(),
): Assessment {
  const obs: Array<[WinVariable, string]> = [
    ['stage', b.stage],
    ['stage_age', b.stage_age],
    ['amount', b.amount],
    ['channel', b.channel],
    ['competitor', b.competitor],
    ['slips', b.slips],
  ]
  return assessObservations(model, obs, stageNames, stageNamesEn)
}

function assessObservations(
  model: WinModel,
  obs: Array<[WinVariable, string]>,
  stageNames: Map<string, string>,
  stageNamesEn: Map<string, string>,
): Assessment {
  const p = probability(model, obs)
  const factors = obs
    .map(([v, x], i) => {
      const without = probability(
        model,
        obs.filter((_, j) => j !== i),
      )
      const value = valueLabel(v, x, stageNames, stageNamesEn)
      return {
        factor: LABELS[v].zh,
        value: value.zh,
        factorEn: LABELS[v].en,
        valueEn: value.en,
        effect: Math.round((p - without) * 100),
      }
    })
    .filter((f) => f.effect !== 0)
    .sort((a, b) => Math.abs(b.effect) - Math.abs(a.effect))
    .slice(0, 3)
  return { probability: Math.min(99, Math.max(1, Math.round(p * 100))), factors }
}
