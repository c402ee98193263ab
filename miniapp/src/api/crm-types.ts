/**
 * Response shapes of `/api/v1/crm/*`. bot/http/routes/crm.ts declares its responses as `z.unknown()`
 * (named `CrmCustomer`, `CrmCustomerCard`, …), so the generated schema says `unknown` for them; these
 * mirror the domain DTOs (bot/domain/crm/dto.ts, visits.ts, get-customer-card.ts, search-customers.ts)
 * until the routes publish real response schemas. Request bodies and queries come from `schema.d.ts`.
 */
export interface UserLabel {
  id: string
  name: string
  department?: string | null
}

export interface CustomerHit {
  id: string
  name: string
  shortName: string | null
  industry: string | null
  tier: string | null
  region: string
  owner: { id: string; name: string } | null
  inPool: boolean
  lastFollowedUpAt: string | null
}

export interface Customer {
  id: string
  name: string
  shortName: string | null
  creditCode: string | null
  phone: string | null
  industry: string | null
  scale: string | null
  tier: string | null
  tags: string[]
  provinceCode: string | null
  cityCode: string | null
  districtCode: string | null
  region: string
  address: string | null
  lat: number | null
  lng: number | null
  source: string | null
  customFields: Record<string, unknown>
  owner: UserLabel | null
  inPool: boolean
  lastFollowedUpAt: string | null
  reclaimDueAt: string | null
  version: number
  createdAt: string
  updatedAt: string
}

export interface Contact {
  id: string
  customerId: string
  name: string
  title: string | null
  phone: string | null
  email: string | null
  wechat: string | null
  decisionRole: string
  isPrimary: boolean
  notes: string | null
  createdAt: string
}

export type FollowUpKind = 'call' | 'visit' | 'message' | 'email' | 'meeting'

export interface FollowUp {
  id: string
  customerId: string
  contactId: string | null
  authorId: string | null
  kind: FollowUpKind
  content: string
  nextFollowUpAt: string | null
  createdAt: string
  author?: { id: string; name: string } | null
}

export type VisitStatus = 'planned' | 'checked_in' | 'checked_out' | 'cancelled'

export interface Visit {
  id: string
  customerId: string
  userId: string
  status: VisitStatus
  plannedAt: string | null
  purpose: string | null
  checkInAt: string | null
  checkInLat: number | null
  checkInLng: number | null
  checkInAddress: string | null
  checkInDistanceM: number | null
  checkInFlagged: boolean
  checkOutAt: string | null
  photos: Array<{ key: string; name: string; contentType?: string; url?: string }>
  summary: string | null
  clientKey: string | null
  createdAt: string
}

export interface RelationGraph {
  root: string
  nodes: Array<{ id: string; name: string; depth: number }>
  edges: Array<{ id: string; from: string; to: string; kind: string; note: string | null }>
}

export interface TimelineEntry {
  at: string
  kind: 'follow_up' | 'visit' | 'change' | 'created'
  id: string
  actor: { id: string; name: string } | null
  title: string
  detail: string | null
}

export interface CustomerCard {
  customer: Customer
  collaborators: UserLabel[]
  contacts: Contact[]
  followUps: FollowUp[]
  visits: Visit[]
  relations: RelationGraph
  timeline: TimelineEntry[]
}
