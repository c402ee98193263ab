import type { ServiceContext } from '../context'
import { labelKeys, type ReportRow, say, type Unit } from './internal/define'
import { prepareRun } from './internal/prepare'
import { type ReportQueryInput, reportQuery } from './schemas'

export interface ReportColumn {
  key: string
  label: string
  unit: Unit
}

/** A report's answer: its columns, one row per dimension value, and the totals. */
export interface ReportResult {
  key: string
  title: string
  dimension: { key: string; label: string }
  dimensions: Array<{ key: string; label: string }>
  timing: 'period' | 'snapshot'
  query: {
    from: string
    to: string
    departmentId: string | null
    includeSub: boolean
    userId: string | null
    channelId: string | null
  }
  columns: ReportColumn[]
  rows: ReportRow[]
  totals: Record<string, number | null>
}

const periodOrder = (a: ReportRow, b: ReportRow) => (a.key ?? '').localeCompare(b.key ?? '')

/**
 * Runs one report for the caller: figures inside their data scope only, filtered by period, department
 * (with or without sub-departments) and person, grouped by the chosen dimension. Period rows come in time
 * order; other rows by the first measure, largest first.
 */
export async function runReport({
  ctx,
  key,
  input,
  reference = false,
}: {
  ctx: ServiceContext
  key: string
  input: ReportQueryInput
  /** From the raw records instead of the rollups: the reference the tests and the bench compare with. */
  reference?: boolean
}): Promise<ReportResult> {
  const q = reportQuery.parse(input)
  const { report, env } = await prepareRun(ctx, key, q, reference)
  const [rows, extra] = await Promise.all([
    report.rows(ctx, env),
    report.totals ? report.totals(ctx, env) : Promise.resolve<Record<string, number | null>>({}),
  ])
  const labels = await labelKeys(
    ctx,
    env.dimension,
    rows.map((r) => r.key),
    env.locale,
  )
  for (const r of rows) r.label = labels.get(r.key) ?? r.key ?? ''
  const first = report.measures[0]?.key ?? ''
  if (!env.dimension.ordered)
    rows.sort(
      env.dimension.kind === 'period'
        ? periodOrder
        : (a, b) => (b.values[first] ?? 0) - (a.values[first] ?? 0) || a.label.localeCompare(b.label),
    )
  const totals: Record<string, number | null> = {}
  for (const m of report.measures) {
    totals[m.key] = m.additive ? rows.reduce((s, r) => s + (r.values[m.key] ?? 0), 0) : (extra[m.key] ?? null)
  }
  return {
    key: report.key,
    title: say(env.locale, report.title),
    dimension: { key: env.dimension.key, label: say(env.locale, env.dimension.label) },
    dimensions: report.dimensions.map((d) => ({ key: d.key, label: say(env.locale, d.label) })),
    timing: report.timing,
    query: {
      from: q.from,
      to: q.to,
      departmentId: q.departmentId ?? null,
      includeSub: q.includeSub,
      userId: q.userId ?? null,
      channelId: q.channelId ?? null,
    },
    columns: report.measures.map((m) => ({ key: m.key, label: say(env.locale, m.label), unit: m.unit })),
    rows,
    totals,
  }
}
