import { viewKind } from '../chat/view'

/** One line of a digest list: what, a detail (a time, an amount, a customer) and where it opens. */
export interface DigestItem {
  title: string
  detail: string | null
  /** Mini-app path, or null when the record has no page. */
  path: string | null
  /** ISO instant or `YYYY-MM-DD`, when the line has one. */
  at: string | null
  cents: number | null
}

/** A section of a digest: how many there are in all, and the first few. */
export interface DigestSection {
  count: number
  cents: number | null
  items: DigestItem[]
}

/** The morning brief (晨报): what is on one person's plate today. */
export interface MorningBriefData {
  day: string
  name: string
  followUps: DigestSection
  visits: DigestSection
  newLeads: DigestSection
  overdueLeads: DigestSection
  overduePayments: DigestSection
  approvals: DigestSection
}

/** One person (or department) of a team digest, with money in cents. */
export interface DigestPerson {
  name: string
  contract: number
  contractTarget: number | null
  payment: number
  paymentTarget: number | null
  newCustomers: number
}

/** The team digest (团队周报 / 业绩): the month so far against targets, the funnel, the ranking, stalled deals. */
export interface TeamDigestData {
  /** `team`: a manager's team; `self`: one person's own figures (「业绩」 from a rep). */
  scope: 'team' | 'self'
  from: string
  to: string
  totals: DigestPerson
  people: DigestPerson[]
  funnel: Array<{ label: string; count: number; cents: number; lost: number }>
  stalled: DigestSection
  stallDays: number
}

export const morningBriefView = viewKind<MorningBriefData>('reports.morning_brief')
export const teamDigestView = viewKind<TeamDigestData>('reports.team_digest')
