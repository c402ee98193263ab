import type { LocationQuery } from 'vue-router'
import type { LeadStatus, SlaState } from '@/api/leads'

/** The lead list's filters as the URL (and a saved view, and a drill-down from the analysis) carry them. */
export const FILTER_KEYS = [
  'scope',
  'status',
  'reached',
  'channelId',
  'campaignId',
  'ownerId',
  'sla',
  'from',
  'to',
  'q',
] as const
export type FilterKey = (typeof FILTER_KEYS)[number]
export type LeadFilters = Partial<Record<FilterKey, string>>

/** The known filters of a route query, strings only (anything else in the URL is ignored). */
export function filtersOf(query: LocationQuery | Record<string, string>): LeadFilters {
  const out: LeadFilters = {}
  for (const k of FILTER_KEYS) {
    const v = query[k]
    if (typeof v === 'string' && v) out[k] = v
  }
  return out
}

type TagType = 'primary' | 'success' | 'danger' | 'warning' | 'default'

export const statusTagType = (s: LeadStatus): TagType =>
  s === 'converted' ? 'success' : s === 'invalid' ? 'default' : s === 'new' ? 'warning' : 'primary'

export const slaTagType = (s: SlaState): TagType =>
  s === 'breached' ? 'danger' : s === 'pending' ? 'warning' : s === 'met' ? 'success' : 'default'
