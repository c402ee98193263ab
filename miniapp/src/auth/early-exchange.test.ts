import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { exchangeLoginCode } from '@/api/auth'
import { createApiClient, installApiClient } from '@/api/index'
import { ApiError } from '@/api/errors'
import { fakeFetch, jsonResponse, type RecordedCall } from '@/testing/http'
import indexHtml from '../../index.html?raw'
import { fetchHomeTodos } from '@/api/home'
import { type EarlyGet, type EarlyLogin, takeEarlyGet, takeEarlyLogin, withEarlyLogin } from './early-exchange'

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

type Holder = { __flowcardEarlyLogin?: EarlyLogin | undefined; __flowcardEarlyGet?: EarlyGet | undefined }

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
    ;(window as Holder).__flowcardEarlyGet = undefined
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

const todos = { approvals: [], followups: [], visits: [], notices: [], leads: [], deals: [], payments: [] }

describe('the early GET of the home page’s to-dos in index.html', () => {
  beforeEach(() => {
    ;(window as Holder).__flowcardEarlyLogin = undefined
    ;(window as Holder).__flowcardEarlyGet = undefined
    localStorage.clear()
  })
  afterEach(() => installApiClient(null))

  function client(fetch: typeof globalThis.fetch, token: string) {
    return createApiClient({
      fetch,
      getToken: () => token,
      getLocale: () => 'zh-CN',
      onUnauthorized: async () => false,
      takeEarly: takeEarlyGet(window, ''),
    })
  }

  it('asks for /home with the exchange’s token, the request the client sends, which then takes the answer', async () => {
    const early = fakeFetch(
      () => jsonResponse(200, session),
      () => jsonResponse(200, { ...todos, notices: [{ id: 'ntc_1' }] }),
    )
    const left = runInlineScriptAt('?devchat_code=c_1', early.fetch)
    await left?.response
    const sent = await (window as Holder).__flowcardEarlyGet?.answer
    await sent?.response
    expect(early.calls.map((c) => new URL(c.url).pathname)).toEqual(['/api/v1/auth/devchat', '/api/v1/home'])

    const typed = fakeFetch(() => jsonResponse(200, todos))
    installApiClient(client(typed.fetch, 'other'))
    await fetchHomeTodos()
    const request = (call: RecordedCall | undefined) => ({
      url: call?.url,
      method: call?.method,
      accept: call?.headers.get('Accept'),
      locale: call?.headers.get('Accept-Language'),
    })
    expect(request(early.calls[1])).toEqual(request(typed.calls[0]))
    expect(early.calls[1]?.headers.get('Authorization')).toBe('Bearer tok_1')
    // The early answer was for another session: the client sent its own and did not take it.
    expect(typed.calls).toHaveLength(1)

    ;(window as Holder).__flowcardEarlyGet = { path: '/api/v1/home', answer: Promise.resolve(sent ?? null) }
    const second = fakeFetch(() => jsonResponse(200, todos))
    installApiClient(client(second.fetch, 'tok_1'))
    await expect(fetchHomeTodos()).resolves.toMatchObject({ notices: [{ id: 'ntc_1' }] })
    expect(second.calls).toHaveLength(0)
    // Taken once: the next load asks the bot.
    await fetchHomeTodos()
    expect(second.calls).toHaveLength(1)
  })

  it('asks with a stored session at once, but not with one about to expire, nor on another page', async () => {
    const stored = (ms: number) =>
      localStorage.setItem('flowcard.session', JSON.stringify({ ...session, expiresAt: new Date(Date.now() + ms).toISOString() }))
    stored(3_600_000)
    const { fetch, calls } = fakeFetch(() => jsonResponse(200, todos))
    runInlineScriptAt('', fetch)
    await (await (window as Holder).__flowcardEarlyGet?.answer)?.response
    expect(calls.map((c) => [new URL(c.url).pathname, c.headers.get('Authorization')])).toEqual([
      ['/api/v1/home', 'Bearer tok_1'],
    ])

    ;(window as Holder).__flowcardEarlyGet = undefined
    stored(10_000)
    runInlineScriptAt('', fetch)
    expect((window as Holder).__flowcardEarlyGet).toBeUndefined()
    stored(3_600_000)
    window.history.replaceState(null, '', '/app/customers')
    new Function(inlineScript())()
    expect((window as Holder).__flowcardEarlyGet).toBeUndefined()
    expect(calls).toHaveLength(1)
  })

  it('is not taken for another path, and a failed early request is sent again by the client', async () => {
    ;(window as Holder).__flowcardEarlyGet = {
      path: '/api/v1/home',
      answer: Promise.resolve({ token: 'tok_1', locale: 'zh-CN', response: Promise.reject(new TypeError('Failed to fetch')) }),
    }
    const take = takeEarlyGet(window, '')
    expect(take(`${location.origin}/api/v1/me`, 'tok_1', 'zh-CN')).toBeNull()
    expect(take('https://elsewhere.test/api/v1/home', 'tok_1', 'zh-CN')).toBeNull()
    const { fetch, calls } = fakeFetch(() => jsonResponse(200, todos))
    installApiClient(client(fetch, 'tok_1'))
    await expect(fetchHomeTodos()).resolves.toEqual(todos)
    expect(calls).toHaveLength(1)
  })
})
