import { type GeoPosition, PlatformError } from './types'

/** Standard geolocation (WGS-84). Used by the browser and devchat bridges, and as the Feishu fallback. */
export function getBrowserLocation(
  nav: Pick<Navigator, 'geolocation'>,
  timeoutMs = 10_000,
): Promise<GeoPosition> {
  return new Promise((resolve, reject) => {
    if (!('geolocation' in nav) || !nav.geolocation) {
      reject(new PlatformError('unsupported', 'Geolocation is not available'))
      return
    }
    nav.geolocation.getCurrentPosition(
      (position) =>
        resolve({
          lat: position.coords.latitude,
          lng: position.coords.longitude,
          accuracy: position.coords.accuracy,
        }),
      (error) => {
        const code =
          error.code === error.PERMISSION_DENIED
            ? 'permission_denied'
            : error.code === error.TIMEOUT
              ? 'timeout'
              : 'failed'
        reject(new PlatformError(code, error.message || 'Could not get the location'))
      },
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 30_000 },
    )
  })
}

/**
 * Opens the system picker through a hidden `<input type=file>`. Works in Feishu's and DingTalk's web
 * views too, and gives real `File`s (the native image pickers return client-local paths instead).
 * Resolves `[]` on the `cancel` event; web views too old to fire it leave the promise pending, so
 * callers must not block the UI on it.
 */
export function pickImageFiles(doc: Document, count: number): Promise<File[]> {
  return new Promise((resolve) => {
    const input = doc.createElement('input')
    input.type = 'file'
    input.accept = 'image/*'
    input.multiple = count > 1
    input.style.display = 'none'
    const finish = (files: File[]) => {
      input.remove()
      resolve(files)
    }
    input.addEventListener('change', () => finish(Array.from(input.files ?? []).slice(0, Math.max(0, count))))
    input.addEventListener('cancel', () => finish([]))
    doc.body.append(input)
    input.click()
  })
}

const scriptLoads = new Map<string, Promise<void>>()

/** Adds a classic `<script>` once per URL. */
export function loadScript(doc: Document, src: string, timeoutMs = 10_000): Promise<void> {
  const existing = scriptLoads.get(src)
  if (existing) return existing
  const loading = new Promise<void>((resolve, reject) => {
    const script = doc.createElement('script')
    const timer = setTimeout(() => {
      reject(new PlatformError('timeout', `Timed out loading ${src}`))
    }, timeoutMs)
    script.src = src
    script.async = true
    script.onload = () => {
      clearTimeout(timer)
      resolve()
    }
    script.onerror = () => {
      clearTimeout(timer)
      reject(new PlatformError('sdk_unavailable', `Could not load ${src}`))
    }
    doc.head.append(script)
  })
  scriptLoads.set(src, loading)
  loading.catch(() => scriptLoads.delete(src))
  return loading
}

/**
 * Reads one-time parameters from the address bar and removes them, so neither a reload nor a copied
 * link replays a spent login code. Keeps `history.state`, which vue-router relies on.
 */
export function takeQueryParams<const K extends string>(
  win: Pick<Window, 'location' | 'history'>,
  names: readonly K[],
): Record<K, string | null> {
  const url = new URL(win.location.href)
  const taken = {} as Record<K, string | null>
  let changed = false
  for (const name of names) {
    const value = url.searchParams.get(name)?.trim()
    taken[name] = value ? value : null
    if (url.searchParams.has(name)) {
      url.searchParams.delete(name)
      changed = true
    }
  }
  if (changed) {
    win.history.replaceState(win.history.state, '', `${url.pathname}${url.search}${url.hash}`)
  }
  return taken
}
