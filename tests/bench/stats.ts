/** Small statistics helpers shared by the bench scripts. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[idx] ?? Number.NaN
}

export const median = (values: number[]): number => percentile(values, 50)

export const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a')

/** Prints a result table row by row, aligned, for copying into issue notes. */
export function table(rows: Array<Record<string, string | number>>): void {
  if (rows.length === 0) return
  const keys = Object.keys(rows[0] ?? {})
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => String(r[k] ?? '').length)))
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')
  console.log(line(keys))
  console.log(line(widths.map((w) => '-'.repeat(w))))
  for (const r of rows) console.log(line(keys.map((k) => String(r[k] ?? ''))))
}

/**
 * Prints one `BENCH <bench> <measure> <value> <unit> target <target>` line, with the in-script baseline and
 * the ratio to it when there is one (on a loaded machine only the ratio means much).
 */
export function benchLine(
  bench: string,
  measure: string,
  value: number,
  unit: string,
  target: string,
  baseline?: { value: number; what: string },
  digits = 1,
): void {
  const base = baseline
    ? ` baseline ${fmt(baseline.value, digits)} (${baseline.what}) ratio ${fmt(value / baseline.value, 2)}`
    : ''
  console.log(`BENCH ${bench} ${measure} ${fmt(value, digits)} ${unit} target ${target}${base}`)
}
