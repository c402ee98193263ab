import { type LoginCode, type PlatformBridge, PlatformError } from './types'
import { getBrowserLocation, loadScript, pickImageFiles } from './web'

type AuthResult = { code?: string; authCode?: string }

/**
 * The slice of DingTalk's `window.dd` (dingtalk-jsapi) the app uses. Free login (免登):
 * `dd.runtime.permission.requestAuthCode({ corpId })` works on every current client without `dd.config`;
 * the newer `dd.requestAuthCode({ corpId, clientId })` is tried first where it exists. The official example
 * passes `onSuccess`/`onFail`, the jsapi also declares a returned Promise, and some builds call
 * `success`/`fail`: all are passed and the first answer wins; no answer within `LOGIN_TIMEOUT_MS` falls
 * back to the next method instead of hanging.
 */
interface DingtalkDd {
  requestAuthCode?(options: {
    corpId: string
    clientId?: string
    onSuccess(result: AuthResult): void
    onFail(error: unknown): void
    success(result: AuthResult): void
    fail(error: unknown): void
  }): unknown
  runtime?: {
    permission?: {
      requestAuthCode?(options: {
        corpId: string
        onSuccess(result: AuthResult): void
        onFail(error: unknown): void
      }): unknown
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
  /** How long one login method may stay silent before the next is tried (default `LOGIN_TIMEOUT_MS`). */
  timeoutMs?: number
}

/** A login method that answers neither way within this long is given up. */
export const LOGIN_TIMEOUT_MS = 8000

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  isObject(v) && typeof Reflect.get(v, 'then') === 'function'

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

  /**
   * Runs one login method: settles on the first of its callbacks (either naming style) or its returned
   * Promise, and rejects with `timeout` when none answers in time.
   */
  function settleCode(
    name: string,
    call: (ok: (result: AuthResult) => void, fail: (error: unknown) => void) => unknown,
  ): Promise<string> {
    return new Promise((resolve, reject) => {
      let done = false
      const timer = win.setTimeout(() => {
        if (done) return
        done = true
        reject(new PlatformError('timeout', `${name} did not answer`))
      }, deps.timeoutMs ?? LOGIN_TIMEOUT_MS)
      const ok = (result: AuthResult) => {
        if (done) return
        done = true
        win.clearTimeout(timer)
        const code = isObject(result) ? (result.code ?? result.authCode) : undefined
        if (code) resolve(code)
        else reject(new PlatformError('failed', `${name} answered without a code`))
      }
      const fail = (error: unknown) => {
        if (done) return
        done = true
        win.clearTimeout(timer)
        reject(new PlatformError('failed', `${name}: ${describe(error)}`, { cause: error }))
      }
      try {
        const returned = call(ok, fail)
        if (isThenable(returned)) returned.then((r) => ok(r as AuthResult), fail)
      } catch (error) {
        fail(error)
      }
    })
  }

  const unifiedCode = (dd: DingtalkDd, corpId: string) =>
    settleCode('requestAuthCode', (ok, fail) =>
      dd.requestAuthCode?.({
        corpId,
        ...(deps.clientId ? { clientId: deps.clientId } : {}),
        onSuccess: ok,
        onFail: fail,
        success: ok,
        fail,
      }),
    )

  const runtimeCode = (dd: DingtalkDd, corpId: string) =>
    settleCode('runtime.permission.requestAuthCode', (ok, fail) =>
      dd.runtime?.permission?.requestAuthCode?.({ corpId, onSuccess: ok, onFail: fail }),
    )

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
