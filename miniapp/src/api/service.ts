import type { paths } from './schema'
import { api, type Schemas, unwrap } from './typed'

export type Ticket = Schemas['ServiceTicket']
export type TicketDetail = Schemas['ServiceTicketDetail']
export type TicketQuery = NonNullable<paths['/api/v1/service/tickets']['get']['parameters']['query']>
export type NewTicket = paths['/api/v1/service/tickets']['post']['requestBody']['content']['application/json']

export async function listTickets(query: TicketQuery, signal?: AbortSignal): Promise<Schemas['ServiceTicketPage']> {
  return unwrap(api().GET('/api/v1/service/tickets', { params: { query }, signal }))
}

export async function getTicket(id: string, signal?: AbortSignal): Promise<TicketDetail> {
  return unwrap(api().GET('/api/v1/service/tickets/{id}', { params: { path: { id } }, signal }))
}

export async function createTicket(body: NewTicket): Promise<Ticket> {
  return unwrap(api().POST('/api/v1/service/tickets', { body }))
}

export async function acceptTicket(id: string): Promise<TicketDetail> {
  return unwrap(api().POST('/api/v1/service/tickets/{id}/accept', { params: { path: { id } } }))
}

export async function resolveTicket(id: string, note: string): Promise<TicketDetail> {
  return unwrap(
    api().POST('/api/v1/service/tickets/{id}/status', {
      params: { path: { id } },
      body: { status: 'resolved', note },
    }),
  )
}

/** 上门: plans (or answers the open) on-site visit of the ticket for its engineer. */
export async function planTicketVisit(id: string): Promise<TicketDetail> {
  return unwrap(api().POST('/api/v1/service/tickets/{id}/visit', { params: { path: { id } }, body: {} }))
}

/** A new priority (owner or service manager): the running SLA clocks are re-planned for it. */
export async function setTicketPriority(
  id: string,
  priority: 'low' | 'normal' | 'high' | 'urgent',
  note: string,
): Promise<TicketDetail> {
  return unwrap(
    api().POST('/api/v1/service/tickets/{id}/priority', {
      params: { path: { id } },
      body: { priority, note: note.trim() || null },
    }),
  )
}

export async function commentTicket(id: string, body: string): Promise<TicketDetail> {
  return unwrap(api().POST('/api/v1/service/tickets/{id}/comments', { params: { path: { id } }, body: { body } }))
}

// ---------------------------------------------------------------------------------------------------------
// Service settings (admin console): types, SLA, dispatch rules, the public form and device QR codes

export type ServiceSettings = Schemas['ServiceSettings']
export type DispatchRule = Schemas['ServiceDispatchRule']
export type IntakeCode = Schemas['ServiceIntakeCode']
export type NewDispatchRule = paths['/api/v1/service/rules']['post']['requestBody']['content']['application/json']
export type NewIntakeCode = paths['/api/v1/service/codes']['post']['requestBody']['content']['application/json']

export async function getServiceSettings(signal?: AbortSignal): Promise<ServiceSettings> {
  return unwrap(api().GET('/api/v1/service/settings', { signal }))
}

export async function saveServiceSettings(body: Partial<ServiceSettings>): Promise<ServiceSettings> {
  return unwrap(api().PUT('/api/v1/service/settings', { body }))
}

export async function listDispatchRules(signal?: AbortSignal): Promise<DispatchRule[]> {
  return (await unwrap(api().GET('/api/v1/service/rules', { signal }))).items
}

export async function createDispatchRule(body: NewDispatchRule): Promise<DispatchRule> {
  return unwrap(api().POST('/api/v1/service/rules', { body }))
}

export async function deleteDispatchRule(id: string): Promise<void> {
  await unwrap(api().DELETE('/api/v1/service/rules/{id}', { params: { path: { id } } }))
}

export async function listIntakeCodes(signal?: AbortSignal): Promise<IntakeCode[]> {
  return (await unwrap(api().GET('/api/v1/service/codes', { signal }))).items
}

export async function createIntakeCode(body: NewIntakeCode): Promise<IntakeCode> {
  return unwrap(api().POST('/api/v1/service/codes', { body }))
}
