import {
  type ChatTarget,
  type GeoPosition,
  type LoginCode,
  type PlatformBridge,
  PlatformError,
} from './types'
import { getBrowserLocation, loadScript, pickImageFiles } from './web'

/** The slice of Feishu's `window.tt` the app uses (callback style, as the JSSDK exposes it). */
interface FeishuTt {
  requestAccess?(options: {
    appID: string
    scopeList: string[]
    success(result: { code: string }): void
    fail(error: unknown): void
  }): void
  requestAuthCode?(options: {
    appId: string
    success(result: { code: string }): void
    fail(error: unknown): void
  }): void
  getLocation?(options: {
    type: 'wgs84' | 'gcj02'
    timeout?: number
    accuracy?: 'high' | 'best'
    success(result: { latitude: number; longitude: number; accuracy?: number }): void
    fail(error: unknown): void
  }): void
  openSchema?(options: {
    schema: string
    external?: boolean
    success?(): void
    fail?(error: unknown): void
  }): void
  closeWindow?(options?: { fail?(error: unknown): void }): void
}

interface FeishuH5sdk {
  ready(callback: () => void): void
  config(options: {
    appId: string
    timestamp: number
    nonceStr: string
    signature: string
    jsApiList: string[]
    onSuccess(): void
    onFail(error: unknown): void
  }): void
}

/** What the bot returns for `h5sdk.config` (signature over the page URL without its fragment). */
export interface FeishuJsapiSignature {
  appId: string
  timestamp: number
  nonceStr: string
  signature: string
}

export type FeishuJsapiSigner = (url: string) => Promise<FeishuJsapiSignature>

export interface FeishuBridgeDeps {
  win: Window
  appId: string | null
  jssdkUrl: string
  /** Signs the JSAPI config; without it, location falls back to the web geolocation API. */
  signJsapi?: FeishuJsapiSigner
}

interface FeishuSdk {
  tt: FeishuTt
  h5sdk: FeishuH5sdk | null
}

const JSAPI_LIST = ['getLocation', 'openSchema', 'closeWindow']
const READY_TIMEOUT_MS = 5_000

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null
}

function isTt(value: unknown): value is FeishuTt {
  return isObject(value)
}

function isH5sdk(value: unknown): value is FeishuH5sdk {
  return isObject(value) && typeof Reflect.get(value, 'ready') === 'function'
}

/** True when the page already has Feishu's globals (the JSSDK was loaded by the page or injected). */
export function hasFeishuGlobals(win: Window): boolean {
  return isTt(Reflect.get(win, 'tt')) || isH5sdk(Reflect.get(win, 'h5sdk'))
}

function readSdk(win: Window): FeishuSdk | null {
  const tt = Reflect.get(win, 'tt')
  const h5sdk = Reflect.get(win, 'h5sdk')
  return isTt(tt) ? { tt, h5sdk: isH5sdk(h5sdk) ? h5sdk : null } : null
}

function describe(error: unknown): string {
  if (isObject(error)) {
    const message =
      Reflect.get(error, 'errString') ?? Reflect.get(error, 'errMsg') ?? Reflect.get(error, 'message')
    if (typeof message === 'string') return message
  }
  return String(error)
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new PlatformError('timeout', `${what} timed out`)), ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}

function requestAccess(tt: FeishuTt, appId: string): Promise<string> {
  return new Promise((resolve, reject) => {
    tt.requestAccess?.({
      appID: appId,
      scopeList: [],
      success: ({ code }) => resolve(code),
      fail: (error) =>
        reject(new PlatformError('failed', `requestAccess: ${describe(error)}`, { cause: error })),
    })
  })
}

function requestAuthCode(tt: FeishuTt, appId: string): Promise<string> {
  return new Promise((resolve, reject) => {
    tt.requestAuthCode?.({
      appId,
      success: ({ code }) => resolve(code),
      fail: (error) =>
        reject(new PlatformError('failed', `requestAuthCode: ${describe(error)}`, { cause: error })),
    })
  })
}

function sdkReady(h5sdk: FeishuH5sdk): Promise<void> {
  // `ready` fires without `config` for the login calls; do not hang the login page if it never does.
  return withTimeout(
    new Promise<void>((resolve) => h5sdk.ready(resolve)),
    READY_TIMEOUT_MS,
    'h5sdk.ready',
  ).catch(() => undefined)
}

/**
 * Feishu/Lark web view. Login uses `tt.requestAccess` (client ≥ 6.9, code valid 3 min) and falls back to
 * `tt.requestAuthCode` after `h5sdk.ready` on older clients. Neither needs `h5sdk.config`; location does,
 * so it is signed on demand through `signJsapi` and otherwise served by the web geolocation API.
 */
export function createFeishuBridge(deps: FeishuBridgeDeps): PlatformBridge {
  const { win } = deps
  let configuredFor: string | null = null

  async function loadSdk(): Promise<FeishuSdk> {
    const present = readSdk(win)
    if (present) return present
    await loadScript(win.document, deps.jssdkUrl)
    const loaded = readSdk(win)
    if (!loaded) throw new PlatformError('sdk_unavailable', 'The Feishu JSSDK did not define window.tt')
    return loaded
  }

  async function configureJsapi(sdk: FeishuSdk): Promise<boolean> {
    const { h5sdk } = sdk
    if (!deps.signJsapi || !h5sdk) return false
    const url = win.location.href.split('#')[0] ?? win.location.href
    if (configuredFor === url) return true
    const signature = await deps.signJsapi(url)
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        h5sdk.config({
          ...signature,
          jsApiList: JSAPI_LIST,
          onSuccess: resolve,
          onFail: (error) =>
            reject(new PlatformError('failed', `h5sdk.config: ${describe(error)}`, { cause: error })),
        })
      }),
      READY_TIMEOUT_MS,
      'h5sdk.config',
    )
    await sdkReady(h5sdk)
    configuredFor = url
    return true
  }

  async function nativeLocation(sdk: FeishuSdk): Promise<GeoPosition | null> {
    const { tt } = sdk
    if (typeof tt.getLocation !== 'function' || !(await configureJsapi(sdk))) return null
    return new Promise<GeoPosition>((resolve, reject) => {
      tt.getLocation?.({
        type: 'wgs84',
        timeout: 10,
        accuracy: 'best',
        success: (result) =>
          resolve({ lat: result.latitude, lng: result.longitude, accuracy: result.accuracy ?? Number.NaN }),
        fail: (error) =>
          reject(new PlatformError('failed', `getLocation: ${describe(error)}`, { cause: error })),
      })
    })
  }

  return {
    name: 'feishu',

    async getLoginCode(): Promise<LoginCode> {
      const appId = deps.appId
      if (!appId) throw new PlatformError('missing_app_id', 'No Feishu app id configured')
      const { tt, h5sdk } = await loadSdk()
      let accessError: unknown = null
      if (typeof tt.requestAccess === 'function') {
        try {
          return { platform: 'feishu', code: await requestAccess(tt, appId) }
        } catch (error) {
          accessError = error
        }
      }
      if (typeof tt.requestAuthCode === 'function') {
        if (h5sdk) await sdkReady(h5sdk)
        try {
          return { platform: 'feishu', code: await requestAuthCode(tt, appId) }
        } catch (error) {
          throw accessError ?? error
        }
      }
      throw accessError ?? new PlatformError('unsupported', 'This Feishu client cannot issue login codes')
    },

    async getLocation() {
      const sdk = await loadSdk().catch(() => null)
      if (sdk) {
        const position = await nativeLocation(sdk).catch(() => null)
        if (position) return position
      }
      return getBrowserLocation(win.navigator)
    },

    chooseImages: (count) => pickImageFiles(win.document, count),

    async openChat(target: ChatTarget) {
      const query =
        'chatId' in target
          ? `openChatId=${encodeURIComponent(target.chatId)}`
          : `openId=${encodeURIComponent(target.userId)}`
      const schema = `https://applink.feishu.cn/client/chat/open?${query}`
      const sdk = readSdk(win)
      if (sdk && typeof sdk.tt.openSchema === 'function' && (await configureJsapi(sdk).catch(() => false))) {
        sdk.tt.openSchema({ schema, external: false })
        return
      }
      win.location.assign(schema)
    },

    close() {
      const sdk = readSdk(win)
      if (sdk && typeof sdk.tt.closeWindow === 'function') sdk.tt.closeWindow()
      else win.close()
    },
  }
}
