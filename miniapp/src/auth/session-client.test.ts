import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { AuthResponse } from '@/api/contract'
import { ApiError } from '@/api/errors'
import type { LoginCode } from '@/platform/types'
import { useSessionStore } from '@/stores/session'
import { fakeFetch, jsonResponse, type RecordedCall } from '@/testing/http'
import { createSessionApiClient } from './session-client'
import { createSignIn } from './sign-in'

const user = { id: 'usr_1', name: '张三', roles: ['sales'] }

function auth(token: string): AuthResponse {
  return { token, expiresAt: new Date(Date.now() + 3_600_000).toISOString(), user }
}

function setup(options: {
  codes: Array<LoginCode | null>
  exchange?: (code: LoginCode) => Promise<AuthResponse>
}) {
  const session = useSessionStore()
  const codes = [...options.codes]
  const bridge = { getLoginCode: vi.fn(async () => codes.shift() ?? null) }
  const exchange = vi.fn(options.exchange ?? (async (code: LoginCode) => auth(`tok_${code.code}`)))
  const signIn = createSignIn({ bridge, exchange, session })
  const onSignedOut = vi.fn()
  return { session, bridge, exchange, onSignedOut, signIn }
}

const authorizedAs = (token: string) => (call: RecordedCall) =>
  call.headers.get('Authorization') === `Bearer ${token}`
    ? jsonResponse(200, { ok: true })
    : jsonResponse(401, { error: { code: 'unauthorized', message: 'Session expired', requestId: 'req_401' } })

describe('createSessionApiClient', () => {
  beforeEach(() => {
    localStorage.clear()
    setActivePinia(createPinia())
  })

  it('on 401 clears the session, signs in again through the bridge and retries once', async () => {
    const env = setup({ codes: [{ platform: 'feishu', code: 'fresh' }] })
    env.session.setSession(auth('stale'))
    const { fetch, calls } = fakeFetch(authorizedAs('tok_fresh'))
    const client = createSessionApiClient({ ...env, fetch })
    const clearSpy = vi.spyOn(env.session, 'clear')

    await expect(client.request('/api/v1/home')).resolves.toEqual({ ok: true })

    expect(clearSpy).toHaveBeenCalledOnce()
    expect(env.exchange).toHaveBeenCalledWith({ platform: 'feishu', code: 'fresh' })
    expect(calls.map((call) => call.headers.get('Authorization'))).toEqual([
      'Bearer stale',
      'Bearer tok_fresh',
    ])
    expect(env.session.token).toBe('tok_fresh')
    expect(env.onSignedOut).not.toHaveBeenCalled()
  })

  it('signs out and rethrows the 401 when no new login code can be had', async () => {
    const env = setup({ codes: [null] })
    env.session.setSession(auth('stale'))
    const { fetch } = fakeFetch(authorizedAs('never'))
    const client = createSessionApiClient({ ...env, fetch })

    const error = await client.request('/api/v1/home').catch((caught: unknown) => caught)

    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({ status: 401, code: 'unauthorized', requestId: 'req_401' })
    expect(env.session.token).toBeNull()
    expect(localStorage.getItem('flowcard.session')).toBeNull()
    expect(env.onSignedOut).toHaveBeenCalledOnce()
  })

  it('signs out when the re-login itself fails', async () => {
    const env = setup({
      codes: [{ platform: 'devchat', code: 'spent' }],
      exchange: async () => {
        throw new ApiError({ status: 400, code: 'invalid_code', message: 'Code already used' })
      },
    })
    env.session.setSession(auth('stale'))
    const { fetch } = fakeFetch(authorizedAs('never'))
    const client = createSessionApiClient({ ...env, fetch })

    await expect(client.request('/api/v1/home')).rejects.toMatchObject({ status: 401 })
    expect(env.onSignedOut).toHaveBeenCalledOnce()
  })

  it('shares one sign-in between requests that fail together', async () => {
    const env = setup({
      codes: [
        { platform: 'feishu', code: 'once' },
        { platform: 'feishu', code: 'twice' },
      ],
    })
    env.session.setSession(auth('stale'))
    const { fetch } = fakeFetch(authorizedAs('tok_once'))
    const client = createSessionApiClient({ ...env, fetch })

    const results = await Promise.all([
      client.request('/api/v1/a'),
      client.request('/api/v1/b'),
      client.request('/api/v1/c'),
    ])

    expect(results).toEqual([{ ok: true }, { ok: true }, { ok: true }])
    expect(env.bridge.getLoginCode).toHaveBeenCalledOnce()
    expect(env.exchange).toHaveBeenCalledOnce()
  })

  it('holds requests made while the start-up sign-in runs and sends them with its token', async () => {
    let release: (auth: AuthResponse) => void = () => undefined
    const env = setup({
      codes: [{ platform: 'devchat', code: 'c_1' }],
      exchange: () => new Promise<AuthResponse>((done) => (release = done)),
    })
    const { fetch, calls } = fakeFetch(authorizedAs('tok_early'))
    const client = createSessionApiClient({ ...env, fetch })

    const signingIn = env.signIn.run()
    const home = client.request('/api/v1/home')
    const publicCall = client.request('/api/v1/auth/devchat', { method: 'POST', json: {}, auth: false })
    await publicCall.catch(() => undefined)
    // Only the unauthenticated call went out; the other waits for the session.
    expect(calls.map((call) => new URL(call.url).pathname)).toEqual(['/api/v1/auth/devchat'])

    release(auth('tok_early'))
    await expect(signingIn).resolves.toBe('signed-in')
    await expect(home).resolves.toEqual({ ok: true })
    expect(calls[1]?.headers.get('Authorization')).toBe('Bearer tok_early')
    expect(env.exchange).toHaveBeenCalledOnce()
    expect(env.signIn.pending()).toBeNull()
  })

  it('keeps a failed start-up sign-in for the login page to show, once', async () => {
    const refused = new ApiError({ status: 400, code: 'invalid_code', message: '登录码已失效' })
    const env = setup({
      codes: [{ platform: 'devchat', code: 'spent' }, null],
      exchange: async () => {
        throw refused
      },
    })
    const { fetch } = fakeFetch(authorizedAs('never'))
    const client = createSessionApiClient({ ...env, fetch })

    const signingIn = env.signIn.run()
    const home = client.request('/api/v1/home')
    await expect(signingIn).rejects.toBe(refused)
    // The held request goes out without a token and gets its 401; no second attempt: signed out.
    await expect(home).rejects.toMatchObject({ status: 401 })
    expect(env.onSignedOut).toHaveBeenCalledOnce()
    expect(env.bridge.getLoginCode).toHaveBeenCalledOnce()

    expect(env.signIn.takeFailure()).toBe(refused)
    expect(env.signIn.takeFailure()).toBeNull()
  })

  it('does not try to re-login when the login call itself is refused', async () => {
    const env = setup({ codes: [{ platform: 'feishu', code: 'x' }] })
    const { fetch } = fakeFetch(() =>
      jsonResponse(401, { error: { code: 'invalid_code', message: 'bad code', requestId: 'r' } }),
    )
    const client = createSessionApiClient({ ...env, fetch })

    await expect(
      client.request('/api/v1/auth/feishu', { method: 'POST', json: { code: 'x' }, auth: false }),
    ).rejects.toMatchObject({
      code: 'invalid_code',
    })
    expect(env.bridge.getLoginCode).not.toHaveBeenCalled()
  })
})
