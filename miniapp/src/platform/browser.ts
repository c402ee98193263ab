import type { LoginCode, PlatformBridge } from './types'
import { getBrowserLocation, pickImageFiles } from './web'

export interface BrowserBridgeDeps {
  win: Window
  /** Where to send the user to sign in (the bot's OAuth start, e.g. `/api/v1/auth/feishu/authorize`). */
  loginUrl: string | null
  /** A code the bot's OAuth callback handed back in the URL (`?auth_code=&auth_platform=`). */
  returnedCode: LoginCode | null
}

/** Appends `redirect=<where the app is now>` so the sign-in round trip lands on the same page. */
export function buildLoginRedirect(
  loginUrl: string,
  location: Pick<Location, 'pathname' | 'search' | 'hash'>,
): string {
  const back = `${location.pathname}${location.search}${location.hash}`
  const separator = loginUrl.includes('?') ? '&' : '?'
  return `${loginUrl}${separator}redirect=${encodeURIComponent(back)}`
}

/**
 * A plain browser (a desktop tab, or a client without a bridge yet). Login is a full-page OAuth round
 * trip through the bot when a login URL is configured; otherwise there is no code and the login page
 * explains how to open the app.
 */
export function createBrowserBridge(deps: BrowserBridgeDeps): PlatformBridge {
  const { win } = deps
  let returned = deps.returnedCode
  return {
    name: 'browser',
    async getLoginCode() {
      if (returned) {
        const code = returned
        returned = null
        return code
      }
      if (!deps.loginUrl) return null
      win.location.assign(buildLoginRedirect(deps.loginUrl, win.location))
      // The page is navigating away; never settle so the UI keeps showing "signing in".
      return new Promise<LoginCode | null>(() => undefined)
    },
    getLocation: () => getBrowserLocation(win.navigator),
    chooseImages: (count) => pickImageFiles(win.document, count),
    close() {
      win.close()
    },
  }
}
