import createClient, { type Client } from 'openapi-fetch'
import { toApiError } from './errors'
import { getApiClient } from './index'
import type { components, paths } from './schema'

/** The bot's named schemas (`Customer`, `Notice`, …), generated from `/api/openapi.json`. */
export type Schemas = components['schemas']
export type { paths } from './schema'

/**
 * The generated, typed client (openapi-fetch over `schema.d.ts`), sending through the installed session
 * client so it shares the bearer token, locale and 401 re-login. Cheap to build; built per call so tests
 * that install another client are honoured.
 */
export function api(options: { auth?: boolean } = {}): Client<paths> {
  const client = getApiClient()
  return createClient<paths>({
    baseUrl: client.url('/').replace(/\/$/, ''),
    fetch: (request) => client.fetch(request, { auth: options.auth ?? true }),
  })
}

interface Result<D> {
  data?: D
  error?: unknown
  response: Response
}

/** The answer's body, or an `ApiError` (code, message, request id, field) for a non-2xx answer. */
export async function unwrap<D>(call: Promise<Result<D>>): Promise<D> {
  const { data, error, response } = await call
  if (!response.ok)
    throw toApiError(response.status, error, response.statusText, response.headers.get('x-request-id'))
  return data as D
}
