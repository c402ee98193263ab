import type { paths } from './schema'
import { api, type Schemas, unwrap } from './typed'

// Kept apart from crm.ts while that file is being regenerated; fold it in afterwards.
export type Contact = Schemas['CrmContact']
export type ContactInput = NonNullable<
  paths['/api/v1/crm/customers/{id}/contacts']['post']['requestBody']
>['content']['application/json']
export type DecisionRole = NonNullable<ContactInput['decisionRole']>

/** Adds a contact to a customer (`POST /api/v1/crm/customers/{id}/contacts`). */
export function createContact(customerId: string, body: ContactInput): Promise<Contact> {
  return unwrap(api().POST('/api/v1/crm/customers/{id}/contacts', { params: { path: { id: customerId } }, body }))
}
