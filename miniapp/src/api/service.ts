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

export async function commentTicket(id: string, body: string): Promise<TicketDetail> {
  return unwrap(api().POST('/api/v1/service/tickets/{id}/comments', { params: { path: { id } }, body: { body } }))
}
