import { zonedToday } from './time-zone'

export type PeriodPreset = 'thisMonth' | 'lastMonth' | 'thisQuarter' | 'thisYear' | 'last30'
export const PERIOD_PRESETS: readonly PeriodPreset[] = ['thisMonth', 'lastMonth', 'thisQuarter', 'thisYear', 'last30']

const pad = (n: number) => String(n).padStart(2, '0')
const ymd = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`

/** A preset as the first and last day (inclusive, the tenant's calendar) the report API takes. */
export function periodOf(preset: PeriodPreset, now: Date = zonedToday()): { from: string; to: string } {
  const y = now.getFullYear()
  const m = now.getMonth()
  switch (preset) {
    case 'thisMonth':
      return { from: ymd(new Date(y, m, 1)), to: ymd(new Date(y, m + 1, 0)) }
    case 'lastMonth':
      return { from: ymd(new Date(y, m - 1, 1)), to: ymd(new Date(y, m, 0)) }
    case 'thisQuarter': {
      const q = Math.floor(m / 3) * 3
      return { from: ymd(new Date(y, q, 1)), to: ymd(new Date(y, q + 3, 0)) }
    }
    case 'thisYear':
      return { from: `${y}-01-01`, to: `${y}-12-31` }
    case 'last30':
      return { from: ymd(new Date(y, m, now.getDate() - 29)), to: ymd(now) }
  }
}
