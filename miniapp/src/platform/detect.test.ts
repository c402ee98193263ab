import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { RuntimeConfig } from '@/config'
import { buildLoginRedirect, createBrowserBridge } from './browser'
import { createPlatform, detectPlatformName, type PlatformSignals } from './detect'
import { PlatformError } from './types'

const FEISHU_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Lark/7.20.0 LarkLocale/zh_CN'
const DINGTALK_UA =
  'Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 Chrome/69.0 Mobile Safari/537.36 AliApp(DingTalk/7.5.0)'
const PLAIN_UA =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15'

const config: RuntimeConfig = {
  feishuAppId: 'cli_test',
  feishuJssdkUrl: 'https://sdk.invalid/h5-js-sdk.js',
  dingtalkCorpId: 'ding_corp_test',
  dingtalkClientId: 'ding_client_test',
  dingtalkJsapiUrl: 'https://sdk.invalid/dingtalk.open.js',
  browserLoginUrl: null,
  apiBaseUrl: '',
}

function signals(overrides: Partial<PlatformSignals>): PlatformSignals {
  return { userAgent: PLAIN_UA, hasFeishuGlobals: false, devchatCode: null, remembered: null, ...overrides }
}

describe('detectPlatformName', () => {
  it.each([
    ['a devchat code, even inside another client', { devchatCode: 'dc_1', userAgent: FEISHU_UA }, 'devchat'],
    ['the Feishu/Lark user agent', { userAgent: FEISHU_UA }, 'feishu'],
    ['the Feishu globals without the user agent', { hasFeishuGlobals: true }, 'feishu'],
    ['a reloaded devchat tab', { remembered: 'devchat' }, 'devchat'],
    ['the DingTalk user agent', { userAgent: DINGTALK_UA }, 'dingtalk'],
    ['the DingTalk globals without the user agent', { hasDingtalkGlobals: true }, 'dingtalk'],
    ['a plain browser', {}, 'browser'],
  ] as const)('recognises %s', (_label, overrides, expected) => {
    expect(detectPlatformName(signals(overrides))).toBe(expected)
  })
})

describe('createPlatform', () => {
  let userAgent: ReturnType<typeof vi.spyOn>

  beforeEach(() => {
    sessionStorage.clear()
    window.history.replaceState(null, '', '/app/')
    userAgent = vi.spyOn(window.navigator, 'userAgent', 'get').mockReturnValue(PLAIN_UA)
  })

  afterEach(() => {
    Reflect.deleteProperty(window, 'tt')
    Reflect.deleteProperty(window, 'h5sdk')
    Reflect.deleteProperty(window, 'dd')
  })

  it('takes the devchat code from the URL once, and removes it from the address bar', async () => {
    window.history.replaceState({ keep: 1 }, '', '/app/customers/cus_123?devchat_code=dc_42&tab=visits#top')

    const { bridge, freshLogin } = createPlatform({ win: window, config })

    expect(bridge.name).toBe('devchat')
    expect(freshLogin).toBe(true)
    expect(window.location.pathname + window.location.search + window.location.hash).toBe(
      '/app/customers/cus_123?tab=visits#top',
    )
    expect(window.history.state).toEqual({ keep: 1 })
    await expect(bridge.getLoginCode()).resolves.toEqual({ platform: 'devchat', code: 'dc_42' })
    await expect(bridge.getLoginCode()).resolves.toBeNull()
  })

  it('stays on devchat after a reload of the same tab', () => {
    window.history.replaceState(null, '', '/app/?devchat_code=dc_1')
    createPlatform({ win: window, config })

    const reloaded = createPlatform({ win: window, config })

    expect(reloaded.bridge.name).toBe('devchat')
    expect(reloaded.freshLogin).toBe(false)
  })

  it('picks Feishu from the user agent and logs in with tt.requestAccess', async () => {
    userAgent.mockReturnValue(FEISHU_UA)
    const requestAccess = vi.fn((options: { appID: string; success(result: { code: string }): void }) =>
      options.success({ code: `code_for_${options.appID}` }),
    )
    Object.assign(window, { tt: { requestAccess } })

    const { bridge, freshLogin } = createPlatform({ win: window, config })

    expect(bridge.name).toBe('feishu')
    expect(freshLogin).toBe(false)
    await expect(bridge.getLoginCode()).resolves.toEqual({ platform: 'feishu', code: 'code_for_cli_test' })
    expect(requestAccess).toHaveBeenCalledWith(expect.objectContaining({ appID: 'cli_test', scopeList: [] }))
  })

  it('falls back to tt.requestAuthCode after h5sdk.ready on clients without requestAccess', async () => {
    const ready = vi.fn((callback: () => void) => callback())
    const requestAuthCode = vi.fn((options: { appId: string; success(result: { code: string }): void }) =>
      options.success({ code: 'legacy_code' }),
    )
    Object.assign(window, { tt: { requestAuthCode }, h5sdk: { ready, config: vi.fn() } })

    const { bridge } = createPlatform({ win: window, config })

    expect(bridge.name).toBe('feishu')
    await expect(bridge.getLoginCode()).resolves.toEqual({ platform: 'feishu', code: 'legacy_code' })
    expect(ready).toHaveBeenCalled()
    expect(requestAuthCode).toHaveBeenCalledWith(expect.objectContaining({ appId: 'cli_test' }))
  })

  it('explains a missing Feishu app id instead of calling the SDK', async () => {
    userAgent.mockReturnValue(FEISHU_UA)
    const { bridge } = createPlatform({ win: window, config: { ...config, feishuAppId: null } })

    const error = await bridge.getLoginCode().catch((caught: unknown) => caught)

    expect(error).toBeInstanceOf(PlatformError)
    expect(error).toMatchObject({ code: 'missing_app_id' })
  })

  it('picks DingTalk from the user agent and logs in with the unified requestAuthCode', async () => {
    userAgent.mockReturnValue(DINGTALK_UA)
    const requestAuthCode = vi.fn(
      (options: { corpId: string; clientId?: string; success(result: { code: string }): void }) =>
        options.success({ code: `dt_${options.corpId}_${options.clientId}` }),
    )
    Object.assign(window, { dd: { requestAuthCode } })

    const { bridge, freshLogin } = createPlatform({ win: window, config })

    expect(bridge.name).toBe('dingtalk')
    expect(freshLogin).toBe(false)
    await expect(bridge.getLoginCode()).resolves.toEqual({
      platform: 'dingtalk',
      code: 'dt_ding_corp_test_ding_client_test',
    })
  })

  it('logs in with a DingTalk client that only calls onSuccess, or only resolves the returned Promise', async () => {
    userAgent.mockReturnValue(DINGTALK_UA)
    const onlyOnSuccess = vi.fn((options: { corpId: string; onSuccess?(result: { code: string }): void }) => {
      options.onSuccess?.({ code: `on_${options.corpId}` })
    })
    Object.assign(window, { dd: { requestAuthCode: onlyOnSuccess } })
    await expect(createPlatform({ win: window, config }).bridge.getLoginCode()).resolves.toEqual({
      platform: 'dingtalk',
      code: 'on_ding_corp_test',
    })
    const onlyPromise = vi.fn((options: { corpId: string }) => Promise.resolve({ code: `p_${options.corpId}` }))
    Object.assign(window, { dd: { requestAuthCode: onlyPromise } })
    await expect(createPlatform({ win: window, config }).bridge.getLoginCode()).resolves.toEqual({
      platform: 'dingtalk',
      code: 'p_ding_corp_test',
    })
  })

  it('falls back to the next login method when requestAuthCode never answers', async () => {
    userAgent.mockReturnValue(DINGTALK_UA)
    vi.useFakeTimers()
    try {
      const silent = vi.fn(() => undefined)
      const legacy = vi.fn((options: { corpId: string; onSuccess(result: { code: string }): void }) =>
        options.onSuccess({ code: `legacy_${options.corpId}` }),
      )
      Object.assign(window, { dd: { requestAuthCode: silent, runtime: { permission: { requestAuthCode: legacy } } } })
      const pending = createPlatform({ win: window, config }).bridge.getLoginCode()
      await vi.advanceTimersByTimeAsync(8000)
      await expect(pending).resolves.toEqual({ platform: 'dingtalk', code: 'legacy_ding_corp_test' })
      expect(silent).toHaveBeenCalledOnce()

      // Nothing answers at all: a timeout error, not a hang.
      Object.assign(window, { dd: { requestAuthCode: silent } })
      const hung = createPlatform({ win: window, config })
        .bridge.getLoginCode()
        .catch((caught: unknown) => caught)
      await vi.advanceTimersByTimeAsync(8000)
      expect(await hung).toMatchObject({ code: 'timeout' })
    } finally {
      vi.useRealTimers()
    }
  })

  it('falls back to dd.runtime.permission.requestAuthCode when the unified call fails or is missing', async () => {
    userAgent.mockReturnValue(DINGTALK_UA)
    const legacy = vi.fn((options: { corpId: string; onSuccess(result: { code: string }): void }) =>
      options.onSuccess({ code: `legacy_${options.corpId}` }),
    )
    Object.assign(window, {
      dd: {
        requestAuthCode: (options: { fail(error: unknown): void }) =>
          options.fail({ errorMessage: 'jsapi not supported' }),
        runtime: { permission: { requestAuthCode: legacy } },
      },
    })

    const { bridge } = createPlatform({ win: window, config })

    await expect(bridge.getLoginCode()).resolves.toEqual({ platform: 'dingtalk', code: 'legacy_ding_corp_test' })
    expect(legacy).toHaveBeenCalledWith(expect.objectContaining({ corpId: 'ding_corp_test' }))
  })

  it('reports a DingTalk refusal, and a missing corp id before calling the client', async () => {
    userAgent.mockReturnValue(DINGTALK_UA)
    Object.assign(window, {
      dd: {
        runtime: {
          permission: {
            requestAuthCode: (options: { onFail(error: unknown): void }) =>
              options.onFail({ errorMessage: '用户拒绝' }),
          },
        },
      },
    })
    const refused = await createPlatform({ win: window, config })
      .bridge.getLoginCode()
      .catch((caught: unknown) => caught)
    expect(refused).toBeInstanceOf(PlatformError)
    expect(refused).toMatchObject({ code: 'failed', message: expect.stringContaining('用户拒绝') })

    const missing = await createPlatform({ win: window, config: { ...config, dingtalkCorpId: null } })
      .bridge.getLoginCode()
      .catch((caught: unknown) => caught)
    expect(missing).toMatchObject({ code: 'missing_app_id' })
  })

  it('hands a code returned by the browser sign-in round trip to the login page', async () => {
    window.history.replaceState(
      null,
      '',
      '/app/login?redirect=%2Fapprovals%2Fins_1&auth_code=oc_9&auth_platform=feishu',
    )

    const { bridge, freshLogin } = createPlatform({ win: window, config })

    expect(bridge.name).toBe('browser')
    expect(freshLogin).toBe(true)
    expect(window.location.search).toBe('?redirect=%2Fapprovals%2Fins_1')
    await expect(bridge.getLoginCode()).resolves.toEqual({ platform: 'feishu', code: 'oc_9' })
    await expect(bridge.getLoginCode()).resolves.toBeNull()
  })

  it('ignores a returned code for an unknown platform', async () => {
    window.history.replaceState(null, '', '/app/login?auth_code=x&auth_platform=wecom')
    const { bridge, freshLogin } = createPlatform({ win: window, config })
    expect(freshLogin).toBe(false)
    await expect(bridge.getLoginCode()).resolves.toBeNull()
  })
})

describe('browser bridge', () => {
  it('sends the user to the configured sign-in URL with a way back', () => {
    const assign = vi.fn()
    const location = { pathname: '/app/login', search: '?redirect=%2Fcustomers%2Fcus_1', hash: '', assign }
    const win = { location, navigator: window.navigator, document } as unknown as Window
    const bridge = createBrowserBridge({ win, loginUrl: '/api/v1/auth/feishu/authorize', returnedCode: null })

    void bridge.getLoginCode()

    expect(assign).toHaveBeenCalledWith(
      `/api/v1/auth/feishu/authorize?redirect=${encodeURIComponent('/app/login?redirect=%2Fcustomers%2Fcus_1')}`,
    )
  })

  it('has no code to offer when no sign-in URL is configured', async () => {
    const bridge = createBrowserBridge({ win: window, loginUrl: null, returnedCode: null })
    await expect(bridge.getLoginCode()).resolves.toBeNull()
  })

  it('appends the redirect to a sign-in URL that already has a query', () => {
    expect(buildLoginRedirect('/auth?x=1', { pathname: '/app/', search: '', hash: '' })).toBe(
      '/auth?x=1&redirect=%2Fapp%2F',
    )
  })
})
