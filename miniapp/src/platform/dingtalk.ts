import { type LoginCode, type PlatformBridge, PlatformError } from './types'
import { getBrowserLocation, loadScript, pickImageFiles } from './web'

/**
 * The slice of DingTalk's `window.dd` (dingtalk-jsapi, callback style) the app uses. Free login (免登,
 * protocols/dingtalk.md §8.1): `dd.runtime.permission.requestAuthCode({ corpId })` works on every current
 * client without `dd.config`; the newer `dd.requestAuthCode` is tried first where it exists.
 */
interface DingtalkDd {
  requestAuthCode?(options: {
    corpId: string
    clientId?: string
    success(result: { code?: string; authCode?: string }): void
    fail(error: unknown): void
  }): void
  runtime?: {
    permission?: {
      requestAuthCode?(options: {
        corpId: string
        onSuccess(result: { code: string }): void
        onFail(error: unknown): void
      }): void
    }
  }
  biz?: { navigation?: { close?(options?: { onFail?(error: unknown): void }): void } }
}

export interface DingtalkBridgeDeps {
  win: Window
  corpId: string | null
  /** The dingtalk-jsapi script, loaded when the client has not injected `dd`. */
  jsapiUrl: string
  /** The app's client id (AppKey), for the newer `dd.requestAuthCode`. */
  clientId?: string | null
}

const isObject = (value: unknown): value is object => typeof value === 'object' && value !== null

function readDd(win: Window): DingtalkDd | null {
  const dd = Reflect.get(win, 'dd')
  return isObject(dd) ? (dd as DingtalkDd) : null
}

function describe(error: unknown): string {
  if (isObject(error)) {
    const message = Reflect.get(error, 'errorMessage') ?? Reflect.get(error, 'message')
    if (typeof message === 'string') return message
  }
  return String(error)
}

/** True when DingTalk's globals are present (the page loaded dingtalk-jsapi, or the client injected it). */
export function hasDingtalkGlobals(win: Window): boolean {
  return readDd(win) !== null
}

export function createDingtalkBridge(deps: DingtalkBridgeDeps): PlatformBridge {
  const { win } = deps

  async function loadDd(): Promise<DingtalkDd> {
    const present = readDd(win)
    if (present) return present
    await loadScript(win.document, deps.jsapiUrl)
    const loaded = readDd(win)
    if (!loaded) throw new PlatformError('sdk_unavailable', 'dingtalk-jsapi did not define window.dd')
    return loaded
  }

  function unifiedCode(dd: DingtalkDd, corpId: string): Promise<string> {
    return new Promise((resolve, reject) => {
      dd.requestAuthCode?.({
        corpId,
        ...(deps.clientId ? { clientId: deps.clientId } : {}),
        success: (result) => {
          const code = result.code ?? result.authCode
          if (code) resolve(code)
          else reject(new PlatformError('failed', 'requestAuthCode answered without a code'))
        },
        fail: (error) =>
          reject(new PlatformError('failed', `requestAuthCode: ${describe(error)}`, { cause: error })),
      })
    })
  }

  function runtimeCode(dd: DingtalkDd, corpId: string): Promise<string> {
    return new Promise((resolve, reject) => {
      dd.runtime?.permission?.requestAuthCode?.({
        corpId,
        onSuccess: ({ code }) => resolve(code),
        onFail: (error) =>
          reject(
            new PlatformError('failed', `runtime.permission.requestAuthCode: ${describe(error)}`, {
              cause: error,
            }),
          ),
      })
    })
  }

  return {
    name: 'dingtalk',

    async getLoginCode(): Promise<LoginCode> {
      const corpId = deps.corpId
      if (!corpId) throw new PlatformError('missing_app_id', 'No DingTalk corp id configured')
      const dd = await loadDd()
      let firstError: unknown = null
      if (typeof dd.requestAuthCode === 'function') {
        try {
          return { platform: 'dingtalk', code: await unifiedCode(dd, corpId) }
        } catch (error) {
          firstError = error
        }
      }
      if (typeof dd.runtime?.permission?.requestAuthCode === 'function') {
        try {
          return { platform: 'dingtalk', code: await runtimeCode(dd, corpId) }
        } catch (error) {
          throw firstError ?? error
        }
      }
      throw firstError ?? new PlatformError('unsupported', 'This DingTalk client cannot issue login codes')
    },

    // DingTalk's own location API needs a signed `dd.config`; the web API works in its web view.
    getLocation: () => getBrowserLocation(win.navigator),

    chooseImages: (count) => pickImageFiles(win.document, count),

    close() {
      const close = readDd(win)?.biz?.navigation?.close
      if (typeof close === 'function') close({ onFail: () => win.close() })
      else win.close()
    },
  }
}
