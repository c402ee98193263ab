/**
 * DingTalk bills calendar months in China time (UTC+8): a month's counters and a spent quota both end at
 * 00:00 UTC+8 on the first of the next month.
 */
const CN_OFFSET_MS = 8 * 3600_000

/** The billing month of an instant, `YYYY-MM`. */
export function quotaMonthOf(nowMs: number): string {
  return new Date(nowMs + CN_OFFSET_MS).toISOString().slice(0, 7)
}

/** When the month of `nowMs` ends and a spent quota comes back (epoch ms). */
export function quotaResetAt(nowMs: number): number {
  const cn = new Date(nowMs + CN_OFFSET_MS)
  return Date.UTC(cn.getUTCFullYear(), cn.getUTCMonth() + 1, 1) - CN_OFFSET_MS
}
