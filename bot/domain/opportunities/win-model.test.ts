import { describe, expect, it } from 'vitest'
import {
  assessDeal,
  type ClosedDeal,
  type DealFeatures,
  loadWinModel,
  MIN_CLOSED,
  storeWinModel,
  trainWinModel,
} from './win-model'

const base: DealFeatures = {
  stages: ['stg_needs'],
  stageAgeDays: 10,
  amountCents: 5_000_000,
  channel: null,
  hasCompetitor: false,
  closeDateSlips: 0,
}
const deals = (n: number, over: Partial<ClosedDeal>): ClosedDeal[] =>
  Array.from({ length: n }, () => ({ ...base, won: true, ...over }))
const names = new Map([['stg_needs', '需求确认']])
/** Deals against a competitor win 1 in 5, the others 4 in 5; nothing else differs. */
const competitorHistory = (): ClosedDeal[] => [
  ...deals(10, { hasCompetitor: true, won: true }),
  ...deals(40, { hasCompetitor: true, won: false }),
  ...deals(40, { hasCompetitor: false, won: true }),
  ...deals(10, { hasCompetitor: false, won: false }),
]

describe('trainWinModel / assessDeal', () => {
  it('learns a known rate: deals against a competitor win 1 in 5, the others 4 in 5', () => {
    const model = trainWinModel(competitorHistory())
    if (!model) throw new Error('enough history, yet no model')
    const against = assessDeal(model, { ...base, hasCompetitor: true }, names)
    const alone = assessDeal(model, base, names)
    // Naive Bayes with Laplace smoothing: 11/41 and 41/11 odds, i.e. 21 % and 79 %.
    expect(against.probability).toBe(21)
    expect(alone.probability).toBe(79)
    // The one informative variable is the explanation; the shared ones move nothing and are left out.
    expect(against.factors).toEqual([
      { factor: '竞争对手', value: '有', factorEn: 'Competitor', valueEn: 'Yes', effect: -29 },
    ])
    expect(alone.factors).toEqual([
      { factor: '竞争对手', value: '无', factorEn: 'Competitor', valueEn: 'None', effect: 29 },
    ])
  })

  it('survives being stored and loaded (the stage change reads the nightly model)', () => {
    const model = trainWinModel(competitorHistory())
    if (!model) throw new Error('no model')
    const again = loadWinModel(JSON.parse(JSON.stringify(storeWinModel(model))))
    expect(assessDeal(again, base, names)).toEqual(assessDeal(model, base, names))
  })

  it('weighs two independent signals together, each explained by its own effect', () => {
    // Stalled deals (90+ days in stage) win 1 in 4 of the time whatever the competitor; competitor as above.
    const closed: ClosedDeal[] = []
    for (const hasCompetitor of [true, false])
      for (const old of [true, false]) {
        const pWin = (hasCompetitor ? 0.2 : 0.8) * (old ? 0.5 : 1)
        const n = 40
        const won = Math.round(n * pWin)
        const f = { hasCompetitor, stageAgeDays: old ? 120 : 10 }
        closed.push(...deals(won, { ...f, won: true }), ...deals(n - won, { ...f, won: false }))
      }
    const model = trainWinModel(closed)
    if (!model) throw new Error('no model')
    const fresh = assessDeal(model, base, names).probability
    const stale = assessDeal(model, { ...base, stageAgeDays: 200 }, names)
    expect(stale.probability).toBeLessThan(fresh)
    expect(stale.factors.map((f) => f.factor)).toEqual(expect.arrayContaining(['阶段停留']))
    expect(stale.factors.find((f) => f.factor === '阶段停留')?.effect).toBeLessThan(0)
  })

  it('keeps the stage default (no model) with too little history or only one outcome', () => {
    expect(trainWinModel(deals(MIN_CLOSED - 1, {}).map((d, i) => ({ ...d, won: i % 2 === 0 })))).toBeNull()
    expect(trainWinModel(deals(200, { won: true }))).toBeNull()
  })
})
