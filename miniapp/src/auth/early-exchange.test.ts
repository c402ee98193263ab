import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { exchangeLoginCode } from '@/api/auth'
import { createApiClient, installApiClient } from '@/api/index'
import { ApiError } from '@/api/errors'
import { fakeFetch, jsonResponse, type RecordedCall } from '@/testing/http'
import indexHtml from '../../index.html?raw'
import { type EarlyLogin, takeEarlyLogin, withEarlyLogin } from './early-exchange'

const session = {
  token: 'tok_1',
  // A week from the real clock: the session must never look expired, whatever today's date.
  expiresAt: new Date(Date.now() + 7 * 24 * 3600 * 1000).toISOString(),
  user: { id: 'usr_1', name: '张三', roles: ['sales'] },
}

/** The classic inline `<script>` of index.html (the one without `type`/`src`). */
function inlineScript(): string {
  const match = /<script>([\s\S]*?)<\/script>/.exec(indexHtml)
  if (!match?.[1]) throw new Error('index.html has no inline script')
  return match[1]
}

type Holder = { __flowcardEarlyLogin?: EarlyLogin | undefined }

function runInlineScriptAt(search: string, fetch: typeof globalThis.fetch): EarlyLogin | undefined {
  window.history.replaceState(null, '', `/app/${search}`)
  vi.stubGlobal('fetch', fetch)
  new Function(inlineScript())()
  return (window as Holder).__flowcardEarlyLogin
}

function sameRequest(call: RecordedCall | undefined) {
  if (!call) throw new Error('no request was sent')
  return {
    path: new URL(call.url).pathname,
    method: call.method,
    contentType: call.headers.get('Content-Type'),
    accept: call.headers.get('Accept'),
    locale: call.headers.get('Accept-Language'),
    body: JSON.parse(call.body) as unknown,
  }
}

describe('the early login exchange in index.html', () => {
  beforeEach(() => {
    ;(window as Holder).__flowcardEarlyLogin = undefined
    localStorage.clear()
  })
  afterEach(() => installApiClient(null))

  it('sends exactly the request the typed client sends for the same code', async () => {
    const early = fakeFetch(() => jsonResponse(200, session))
    const left = runInlineScriptAt('?devchat_code=%20v1.abc%2Bdef%20&x=1', early.fetch)
    expect(left).toMatchObject({ platform: 'devchat', code: 'v1.abc+def' })
    await left?.response

    const typed = fakeFetch(() => jsonResponse(200, session))
    installApiClient(
      createApiClient({
        fetch: typed.fetch,
        getToken: () => null,
        getLocale: () => 'zh-CN',
        onUnauthorized: async () => false,
      }),
    )
    await exchangeLoginCode({ platform: 'devchat', code: 'v1.abc+def' })

    expect(sameRequest(early.calls[0])).toEqual(sameRequest(typed.calls[0]))
    expect(sameRequest(early.calls[0])).toMatchObject({ path: '/api/v1/auth/devchat', body: { code: 'v1.abc+def' } })
  })

  it('takes the platform of a code back from a browser sign-in and the stored locale', async () => {
    localStorage.setItem('flowcard.locale', 'en')
    const { fetch, calls } = fakeFetch(() => jsonResponse(200, session))
    const left = runInlineScriptAt('?auth_code=c_1&auth_platform=feishu', fetch)
    await left?.response
    expect(left).toMatchObject({ platform: 'feishu', code: 'c_1' })
    expect(calls[0]?.url).toMatch(/\/api\/v1\/auth\/feishu$/)
    expect(calls[0]?.headers.get('Accept-Language')).toBe('en')
  })

  it('does nothing without a code, or for a platform the bot has no exchange for', () => {
    const { fetch } = fakeFetch(() => jsonResponse(200, session))
    expect(runInlineScriptAt('?from=card', fetch)).toBeUndefined()
    expect(runInlineScriptAt('?auth_code=c_1&auth_platform=evil', fetch)).toBeUndefined()
    expect(fetch).not.toHaveBeenCalled()
  })
})

describe('takeEarlyLogin', () => {
  const response = Promise.resolve(jsonResponse(200, session))
  const holder = (): Holder & object => ({
    __flowcardEarlyLogin: { platform: 'devchat', code: 'c_1', response },
  })

  it('hands the answer over once, for the same code and a same-origin API only', () => {
    const win = holder()
    expect(takeEarlyLogin(win, { platform: 'devchat', code: 'c_1' }, '')).toBe(response)
    expect(takeEarlyLogin(win, { platform: 'devchat', code: 'c_1' }, '')).toBeNull()
    expect(takeEarlyLogin(holder(), { platform: 'devchat', code: 'other' }, '')).toBeNull()
    expect(takeEarlyLogin(holder(), { platform: 'feishu', code: 'c_1' }, '')).toBeNull()
    expect(takeEarlyLogin(holder(), { platform: 'devchat', code: 'c_1' }, 'https://api.test')).toBeNull()
  })
})

describe('withEarlyLogin', () => {
  const code = { platform: 'devchat', code: 'c_1' } as const

  it('uses the early answer instead of sending the code again', async () => {
    const exchange = vi.fn(async () => ({ ...session, token: 'tok_late' }))
    const run = withEarlyLogin(exchange, () => Promise.resolve(jsonResponse(200, session)))
    await expect(run(code)).resolves.toEqual(session)
    expect(exchange).not.toHaveBeenCalled()
  })

  it('turns an early refusal into the same ApiError the typed client would throw', async () => {
    const exchange = vi.fn(async () => session)
    const refused = jsonResponse(
      400,
      { error: { code: 'invalid_code', message: '登录码已失效', requestId: 'req_1', field: 'code' } },
      { 'x-request-id': 'req_1' },
    )
    const error = await withEarlyLogin(exchange, () => Promise.resolve(refused))(code).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({ status: 400, code: 'invalid_code', field: 'code', requestId: 'req_1' })
    expect(exchange).not.toHaveBeenCalled()
  })

  it('falls back to the regular exchange when the early request never got an answer', async () => {
    const exchange = vi.fn(async () => session)
    const run = withEarlyLogin(exchange, () => Promise.reject(new TypeError('Failed to fetch')))
    await expect(run(code)).resolves.toEqual(session)
    expect(exchange).toHaveBeenCalledWith(code)
  })

  it('runs the regular exchange when nothing was started early', async () => {
    const exchange = vi.fn(async () => session)
    await expect(withEarlyLogin(exchange, () => null)(code)).resolves.toEqual(session)
    expect(exchange).toHaveBeenCalledOnce()
  })
})
