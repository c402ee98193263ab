import type { ApiClient, ApiRequestInit } from './client'

export type { ApiClient, ApiRequestInit, UploadOptions } from './client'
export { createApiClient } from './client'
export { ApiError, isApiError, toApiError } from './errors'

let installed: ApiClient | null = null

/** Wired once in `main.ts` (and by tests) so feature code can call `apiFetch` without plumbing. */
export function installApiClient(client: ApiClient | null): void {
  installed = client
}

export function getApiClient(): ApiClient {
  if (!installed) throw new Error('The API client is not installed; call installApiClient() first')
  return installed
}

/** `fetch` for the bot's JSON API: session header, locale, typed result, `ApiError` on failure. */
export function apiFetch<T>(path: string, init?: ApiRequestInit): Promise<T> {
  return getApiClient().request<T>(path, init)
}
