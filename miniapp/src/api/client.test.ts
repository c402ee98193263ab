import { describe, expect, it } from 'vitest'
import { fakeFetch, jsonResponse } from '@/testing/http'
import { createApiClient } from './client'
import { ApiError, toApiError } from './errors'

function client(fetch: typeof globalThis.fetch, token: string | null = 'tok_1') {
  return createApiClient({
    baseUrl: 'http://bot.test',
    fetch,
    getToken: () => token,
    getLocale: () => 'zh-CN',
    onUnauthorized: async () => false,
  })
}

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof ApiError) return error
    throw error
  }
  throw new Error('expected the call to fail')
}

describe('apiFetch client', () => {
  it('sends the bearer token, locale and JSON body, and returns the parsed answer', async () => {
    const { fetch, calls } = fakeFetch(() => jsonResponse(200, { ok: true }))
    const result = await client(fetch).request<{ ok: boolean }>('/api/v1/things', {
      method: 'POST',
      json: { a: 1 },
    })

    expect(result).toEqual({ ok: true })
    expect(calls[0]?.url).toBe('http://bot.test/api/v1/things')
    expect(calls[0]?.method).toBe('POST')
    expect(calls[0]?.headers.get('Authorization')).toBe('Bearer tok_1')
    expect(calls[0]?.headers.get('Accept-Language')).toBe('zh-CN')
    expect(calls[0]?.headers.get('Content-Type')).toBe('application/json')
    expect(calls[0]?.body).toBe('{"a":1}')
  })

  it('leaves out the token for unauthenticated calls', async () => {
    const { fetch, calls } = fakeFetch(() => jsonResponse(200, {}))
    await client(fetch).request('/api/v1/auth/devchat', { method: 'POST', json: { code: 'c' }, auth: false })
    expect(calls[0]?.headers.has('Authorization')).toBe(false)
  })

  it('turns the bot error shape into an ApiError with code, message, requestId and field', async () => {
    const { fetch } = fakeFetch(() =>
      jsonResponse(422, {
        error: { code: 'validation_failed', message: '名称不能为空', requestId: 'req_42', field: 'name' },
      }),
    )
    const error = await failure(client(fetch).request('/api/v1/customers', { method: 'POST', json: {} }))

    expect(error.status).toBe(422)
    expect(error.code).toBe('validation_failed')
    expect(error.message).toBe('名称不能为空')
    expect(error.requestId).toBe('req_42')
    expect(error.field).toBe('name')
  })

  it('falls back to the status and X-Request-Id when the body is not the error shape', async () => {
    const { fetch } = fakeFetch(
      () =>
        new Response('<html>Bad Gateway</html>', {
          status: 502,
          statusText: 'Bad Gateway',
          headers: { 'X-Request-Id': 'req_gw' },
        }),
    )
    const error = await failure(client(fetch).request('/api/v1/home'))

    expect(error.status).toBe(502)
    expect(error.code).toBe('http_502')
    expect(error.message).toBe('Bad Gateway')
    expect(error.requestId).toBe('req_gw')
  })

  it('marks 404s so callers can treat a missing endpoint as empty', async () => {
    const { fetch } = fakeFetch(() =>
      jsonResponse(404, { error: { code: 'not_found', message: 'Not found', requestId: 'r' } }),
    )
    const error = await failure(client(fetch).request('/api/v1/home'))
    expect(error.isNotFound).toBe(true)
  })

  it('reports a network failure as network_error with status 0', async () => {
    const error = await failure(
      client(async () => {
        throw new TypeError('Failed to fetch')
      }).request('/api/v1/home'),
    )
    expect(error.status).toBe(0)
    expect(error.code).toBe('network_error')
  })

  it('reports a non-JSON success body as invalid_response', async () => {
    const { fetch } = fakeFetch(() => new Response('<!doctype html>', { status: 200 }))
    const error = await failure(client(fetch).request('/api/v1/home'))
    expect(error.code).toBe('invalid_response')
  })

  it('returns undefined for 204 No Content', async () => {
    const { fetch } = fakeFetch(() => new Response(null, { status: 204 }))
    await expect(client(fetch).request('/api/v1/things/1', { method: 'DELETE' })).resolves.toBeUndefined()
  })

  it('exposes the same parsing for generated clients', () => {
    const error = toApiError(
      409,
      { error: { code: 'already_handled', message: '已由李四处理' } },
      '',
      'req_h',
    )
    expect(error).toBeInstanceOf(ApiError)
    expect(error.code).toBe('already_handled')
    expect(error.requestId).toBe('req_h')
  })
})
