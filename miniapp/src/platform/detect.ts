import type { RuntimeConfig } from '@/config'
import { createBrowserBridge } from './browser'
import { createDevchatBridge } from './devchat'
import { createDingtalkBridge, hasDingtalkGlobals } from './dingtalk'
import { createFeishuBridge, type FeishuJsapiSigner, hasFeishuGlobals } from './feishu'
import { isLoginPlatform, type LoginCode, type PlatformBridge, type PlatformName } from './types'
import { takeQueryParams } from './web'

/** Remembers devchat for the tab, so a reload (the code is gone from the URL) still says "devchat". */
const REMEMBERED_KEY = 'flowcard.platform'

export interface PlatformSignals {
  userAgent: string
  hasFeishuGlobals: boolean
  hasDingtalkGlobals?: boolean
  devchatCode: string | null
  remembered: string | null
}

/**
 * Which client the app runs in. A devchat code wins (the simulator runs in an ordinary browser), then
 * Feishu/Lark (its globals, or "Lark"/"Feishu" in the user agent), then DingTalk ("DingTalk" in the user
 * agent, or its `dd` global), then a devchat tab being reloaded.
 */
export function detectPlatformName(signals: PlatformSignals): PlatformName {
  if (signals.devchatCode) return 'devchat'
  if (signals.hasFeishuGlobals || /\b(Lark|Feishu)\b/i.test(signals.userAgent)) return 'feishu'
  if (signals.hasDingtalkGlobals || /\bDingTalk\b/i.test(signals.userAgent)) return 'dingtalk'
  if (signals.remembered === 'devchat') return 'devchat'
  return 'browser'
}

export interface CreatePlatformDeps {
  win: Window
  config: RuntimeConfig
  signFeishuJsapi?: FeishuJsapiSigner
}

export interface DetectedPlatform {
  bridge: PlatformBridge
  /** A login code arrived in the URL: it names the user now, so any stored session must yield to it. */
  freshLogin: boolean
}

function sessionStore(win: Window): Storage | null {
  try {
    return win.sessionStorage
  } catch {
    return null
  }
}

/** Picks and builds the bridge once at start-up, consuming one-time codes from the URL. */
export function createPlatform({ win, config, signFeishuJsapi }: CreatePlatformDeps): DetectedPlatform {
  const params = takeQueryParams(win, ['devchat_code', 'auth_code', 'auth_platform'])
  const storage = sessionStore(win)
  const name = detectPlatformName({
    userAgent: win.navigator.userAgent,
    hasFeishuGlobals: hasFeishuGlobals(win),
    hasDingtalkGlobals: hasDingtalkGlobals(win),
    devchatCode: params.devchat_code,
    remembered: storage?.getItem(REMEMBERED_KEY) ?? null,
  })
  try {
    if (name === 'devchat') storage?.setItem(REMEMBERED_KEY, 'devchat')
  } catch {
    // Storage can be full or disabled; detection then just forgets devchat on reload.
  }

  const returnedCode: LoginCode | null =
    params.auth_code && isLoginPlatform(params.auth_platform)
      ? { platform: params.auth_platform, code: params.auth_code }
      : null

  switch (name) {
    case 'devchat':
      return {
        bridge: createDevchatBridge({ win, code: params.devchat_code }),
        freshLogin: params.devchat_code !== null,
      }
    case 'feishu':
      return {
        bridge: createFeishuBridge({
          win,
          appId: config.feishuAppId,
          jssdkUrl: config.feishuJssdkUrl,
          signJsapi: signFeishuJsapi,
        }),
        freshLogin: false,
      }
    case 'dingtalk':
      return {
        bridge: createDingtalkBridge({
          win,
          corpId: config.dingtalkCorpId,
          clientId: config.dingtalkClientId,
          jsapiUrl: config.dingtalkJsapiUrl,
        }),
        freshLogin: false,
      }
    case 'browser':
      return {
        bridge: createBrowserBridge({ win, loginUrl: config.browserLoginUrl, returnedCode }),
        freshLogin: returnedCode !== null,
      }
  }
}
