import type { Customer, CustomerCard, CustomerHit, FollowUp, Visit } from './crm-types'
import type { paths } from './schema'
import { api, unwrap } from './typed'

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

// The CRM routes declare their answers as `z.unknown()`; `crm-types.ts` names what the domain returns.

export async function searchCustomers(query: CustomerQuery, signal?: AbortSignal): Promise<CustomerHit[]> {
  const res = (await unwrap(api().GET('/api/v1/crm/customers', { params: { query }, signal }))) as {
    items: CustomerHit[]
  }
  return res.items
}

export async function getCustomerCard(id: string, signal?: AbortSignal): Promise<CustomerCard> {
  return (await unwrap(api().GET('/api/v1/crm/customers/{id}/card', { params: { path: { id } }, signal }))) as CustomerCard
}

export async function getCustomer(id: string): Promise<Customer> {
  return (await unwrap(api().GET('/api/v1/crm/customers/{id}', { params: { path: { id } } }))) as Customer
}

export async function updateCustomer(id: string, body: CustomerPatch): Promise<Customer> {
  return (await unwrap(api().PATCH('/api/v1/crm/customers/{id}', { params: { path: { id } }, body }))) as Customer
}

export async function createCustomer(body: CustomerCreate): Promise<Customer> {
  return (await unwrap(api().POST('/api/v1/crm/customers', { body }))) as Customer
}

export async function claimCustomer(id: string): Promise<Customer> {
  return (await unwrap(api().POST('/api/v1/crm/customers/{id}/claim', { params: { path: { id } } }))) as Customer
}

export async function releaseCustomer(id: string): Promise<Customer> {
  return (await unwrap(api().POST('/api/v1/crm/customers/{id}/release', { params: { path: { id } } }))) as Customer
}

export async function createFollowUp(customerId: string, body: FollowUpInput): Promise<FollowUp> {
  return (await unwrap(
    api().POST('/api/v1/crm/customers/{id}/follow-ups', { params: { path: { id: customerId } }, body }),
  )) as FollowUp
}

export async function planVisit(body: PlanVisitInput): Promise<Visit> {
  return (await unwrap(api().POST('/api/v1/crm/visits', { body }))) as Visit
}

export async function checkOutVisit(id: string, body: CheckOutInput): Promise<Visit> {
  return (await unwrap(api().POST('/api/v1/crm/visits/{id}/check-out', { params: { path: { id } }, body }))) as Visit
}

/** The photo is the raw request body (image/jpeg, png, webp, heic; ≤ 10 MB). */
export async function uploadVisitPhoto(id: string, file: File): Promise<Visit> {
  return (await unwrap(
    api().POST('/api/v1/crm/visits/{id}/photos', {
      params: { path: { id }, query: { name: file.name || 'photo' } },
      body: file as unknown as string,
      bodySerializer: (raw: unknown) => raw as BodyInit,
      headers: { 'Content-Type': file.type || 'image/jpeg' },
    }),
  )) as Visit
}
