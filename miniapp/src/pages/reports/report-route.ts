/**
 * The 报表 page's state as its URL holds it (`?r=&p=&d=&pc=`), and the report asked for while the page's own
 * code is still downloading: the router's `beforeEnter` starts it (this module is in the entry, ~1 KB), so on
 * a slow network the figures arrive with the page's chunk, not one round trip after it
 * (tests/bench/miniapp-lcp.ts --route reports). The page takes the answer once, for the same query only.
 */
import type { LocationQuery } from 'vue-router'
import { type ReportQuery, type ReportResult, runReport } from '@/api/report-run'
import { PERIOD_PRESETS, type PeriodPreset, periodOf } from '@/lib/report-period'

export interface ReportRouteState {
  key: string
  preset: PeriodPreset
  dimension?: string
  provinceCode?: string
}

const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined)

export function reportRouteState(query: LocationQuery): ReportRouteState {
  const p = str(query.p)
  return {
    key: str(query.r) ?? 'customers-new',
    preset: p && (PERIOD_PRESETS as readonly string[]).includes(p) ? (p as PeriodPreset) : 'thisMonth',
    dimension: str(query.d),
    provinceCode: str(query.pc),
  }
}

export function reportQueryOf(s: Omit<ReportRouteState, 'key'>): ReportQuery {
  return {
    ...periodOf(s.preset),
    ...(s.dimension ? { dimension: s.dimension } : {}),
    ...(s.provinceCode ? { provinceCode: s.provinceCode } : {}),
  }
}

let early: { signature: string; answer: Promise<ReportResult> } | undefined
const signatureOf = (key: string, q: ReportQuery) => JSON.stringify([key, q])

/** Starts the report the URL names (the router's `beforeEnter` of `/reports`). */
export function prefetchReport(query: LocationQuery): void {
  const s = reportRouteState(query)
  const q = reportQueryOf(s)
  const answer = runReport(s.key, q)
  // Never an unhandled rejection: whoever takes it sees the error; untaken, it is dropped.
  answer.catch(() => undefined)
  early = { signature: signatureOf(s.key, q), answer }
}

/** The prefetched answer for exactly this report and query, once; otherwise undefined (ask again). */
export function takePrefetchedReport(key: string, q: ReportQuery): Promise<ReportResult> | undefined {
  const taken = early
  early = undefined
  return taken && taken.signature === signatureOf(key, q) ? taken.answer : undefined
}
