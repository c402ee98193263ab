import type { paths } from './schema'
import { api, type Schemas, unwrap } from './typed'

/** Response shapes of `/api/v1/crm/*`, generated from the routes' zod schemas (bot/http/routes/crm-schemas.ts). */
export type Customer = Schemas['CrmCustomer']
export type CustomerHit = Schemas['CrmCustomerHit']
export type CustomerCard = Schemas['CrmCustomerCard']
export type UserLabel = Schemas['CrmUserLabel']
export type Contact = Schemas['CrmContact']
export type FollowUp = Schemas['CrmFollowUp']
export type FollowUpKind = FollowUp['kind']
export type VisitPhoto = Schemas['CrmVisitPhoto']
/** A visit; each photo carries a signed `url` an `<img src>` can load without the session header. */
export type Visit = Schemas['CrmVisit']
export type VisitStatus = Visit['status']
export type RelationGraph = Schemas['CrmRelationGraph']
export type TimelineEntry = Schemas['CrmTimelineEntry']

type Json<P extends keyof paths, M extends 'post' | 'patch'> = paths[P][M] extends {
  requestBody?: { content: { 'application/json': infer B } }
}
  ? B
  : never

export type CustomerQuery = NonNullable<paths['/api/v1/crm/customers']['get']['parameters']['query']>
export type CustomerFilter = NonNullable<CustomerQuery['filter']>
export type CustomerPatch = Json<'/api/v1/crm/customers/{id}', 'patch'>
export type CustomerCreate = Json<'/api/v1/crm/customers', 'post'>
export type FollowUpInput = Json<'/api/v1/crm/customers/{id}/follow-ups', 'post'>
export type PlanVisitInput = Json<'/api/v1/crm/visits', 'post'>
export type CheckOutInput = Json<'/api/v1/crm/visits/{id}/check-out', 'post'>

export async function searchCustomers(query: CustomerQuery, signal?: AbortSignal): Promise<CustomerHit[]> {
  const res = await unwrap(api().GET('/api/v1/crm/customers', { params: { query }, signal }))
  return res.items
}

export type CustomerElsewhere = Schemas['CrmCustomerElsewhere']

/** Customers matching `q` outside my data scope: name and owner only, to know whom to ask. */
export async function findCustomersElsewhere(q: string, signal?: AbortSignal): Promise<CustomerElsewhere[]> {
  const res = await unwrap(api().GET('/api/v1/crm/customers/elsewhere', { params: { query: { q } }, signal }))
  return res.items
}

export type GeoMatch = Schemas['CrmGeoMatch']

/** Whether the deployment has a map service for address lookup. */
export async function geocodeStatus(): Promise<{ configured: boolean }> {
  return unwrap(api().GET('/api/v1/crm/geocode/status'))
}

/** The location of an address (404 when not found, 503 when no map service is configured). */
export async function geocodeAddress(address: string, city?: string): Promise<GeoMatch> {
  return unwrap(api().GET('/api/v1/crm/geocode', { params: { query: { address, ...(city ? { city } : {}) } } }))
}

export async function getCustomerCard(id: string, signal?: AbortSignal): Promise<CustomerCard> {
  return unwrap(api().GET('/api/v1/crm/customers/{id}/card', { params: { path: { id } }, signal }))
}

export async function getCustomer(id: string): Promise<Customer> {
  return unwrap(api().GET('/api/v1/crm/customers/{id}', { params: { path: { id } } }))
}

export async function updateCustomer(id: string, body: CustomerPatch): Promise<Customer> {
  return unwrap(api().PATCH('/api/v1/crm/customers/{id}', { params: { path: { id } }, body }))
}

export async function createCustomer(body: CustomerCreate): Promise<Customer> {
  return unwrap(api().POST('/api/v1/crm/customers', { body }))
}

export async function claimCustomer(id: string): Promise<Customer> {
  return unwrap(api().POST('/api/v1/crm/customers/{id}/claim', { params: { path: { id } } }))
}

export async function releaseCustomer(id: string): Promise<Customer> {
  return unwrap(api().POST('/api/v1/crm/customers/{id}/release', { params: { path: { id } } }))
}

export async function createFollowUp(customerId: string, body: FollowUpInput): Promise<FollowUp> {
  return unwrap(api().POST('/api/v1/crm/customers/{id}/follow-ups', { params: { path: { id: customerId } }, body }))
}

export async function planVisit(body: PlanVisitInput): Promise<Visit> {
  return unwrap(api().POST('/api/v1/crm/visits', { body }))
}

export async function checkOutVisit(id: string, body: CheckOutInput): Promise<Visit> {
  return unwrap(api().POST('/api/v1/crm/visits/{id}/check-out', { params: { path: { id } }, body }))
}

/** The photo is the raw request body (image/jpeg, png, webp, heic; ≤ 10 MB). */
export async function uploadVisitPhoto(id: string, file: File): Promise<Visit> {
  return unwrap(
    api().POST('/api/v1/crm/visits/{id}/photos', {
      params: { path: { id }, query: { name: file.name || 'photo' } },
      body: file as unknown as string,
      bodySerializer: (raw: unknown) => raw as BodyInit,
      headers: { 'Content-Type': file.type || 'image/jpeg' },
    }),
  )
}
