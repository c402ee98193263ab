import type { PlatformBridge } from './types'
import { getBrowserLocation, pickImageFiles } from './web'

export interface DevchatBridgeDeps {
  win: Window
  /** The one-time code devchat put in the URL (`?devchat_code=`), already removed from the address bar. */
  code: string | null
}

/**
 * The devchat simulator opens the app with `?devchat_code=<one-time code>`. The code is handed out once;
 * after that (a reload, an expired session) the user reopens the app from devchat.
 */
export function createDevchatBridge(deps: DevchatBridgeDeps): PlatformBridge {
  const { win } = deps
  let pending = deps.code
  return {
    name: 'devchat',
    async getLoginCode() {
      const code = pending
      pending = null
      return code ? { platform: 'devchat', code } : null
    },
    getLocation: () => getBrowserLocation(win.navigator),
    chooseImages: (count) => pickImageFiles(win.document, count),
    close() {
      // devchat may show the app in a frame; let the page around it decide what closing means.
      if (win.parent !== win) win.parent.postMessage({ source: 'flowcard', type: 'close' }, '*')
      else win.close()
    },
  }
}
