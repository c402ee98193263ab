export type PlatformName = 'feishu' | 'dingtalk' | 'devchat' | 'browser'

/** The platform a login code belongs to; the app exchanges it at `POST /api/v1/auth/{platform}`. */
export type LoginPlatform = Exclude<PlatformName, 'browser'>

export const LOGIN_PLATFORMS: readonly LoginPlatform[] = ['feishu', 'dingtalk', 'devchat']

export function isLoginPlatform(value: string | null | undefined): value is LoginPlatform {
  return LOGIN_PLATFORMS.some((platform) => platform === value)
}

/** A one-time code (minutes of validity, single use) the bot swaps for a session. */
export interface LoginCode {
  platform: LoginPlatform
  code: string
}

/** A WGS-84 position; `accuracy` in metres. Every bridge asks for WGS-84 so the bot converts in one place. */
export interface GeoPosition {
  lat: number
  lng: number
  accuracy: number
}

export type ChatTarget = { chatId: string } | { userId: string }

/**
 * What the app needs from the chat client it runs in. One implementation per client, picked once at
 * start-up by `createPlatform()`; pages only ever see this interface (through `useAppContext()`).
 */
export interface PlatformBridge {
  readonly name: PlatformName
  /**
   * A fresh login code, or `null` when this environment cannot produce one (the login page then
   * explains where to open the app). May navigate away instead of resolving (browser sign-in).
   */
  getLoginCode(): Promise<LoginCode | null>
  getLocation(): Promise<GeoPosition>
  /** Lets the user pick up to `count` images; resolves `[]` when the picker is dismissed. */
  chooseImages(count: number): Promise<File[]>
  /** Opens a chat in the client, where the client supports it. */
  openChat?(target: ChatTarget): Promise<void>
  /** Closes the web view (or the tab, where the browser allows). */
  close(): void
}

export type PlatformErrorCode =
  | 'unsupported'
  | 'missing_app_id'
  | 'sdk_unavailable'
  | 'permission_denied'
  | 'timeout'
  | 'failed'

/** A failure inside a bridge; `code` is stable for the UI to map to a message. */
export class PlatformError extends Error {
  readonly code: PlatformErrorCode

  constructor(code: PlatformErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'PlatformError'
    this.code = code
  }
}
