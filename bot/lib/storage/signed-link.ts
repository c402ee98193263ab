/**
 * Capability links to stored blobs (`f1.<key>.<expiry>.<signature>`, HMAC-SHA-256, WebCrypto only): the API
 * hands them out with a visit to someone who may read it, so an `<img src>` can load the photo without a
 * bearer header. The HMAC key is derived from the session secret with its own label, so a link never
 * verifies as a session token or the other way round. Expiry is rounded up to the hour, so the same photo
 * keeps the same URL for a while and the browser cache works.
 */
import { b64url, fromB64url, hmacKey } from '../hmac'

const enc = new TextEncoder()
const LABEL = 'flowcard blob link v1:'
export const LINK_TTL_SECONDS = 3600

const keyFor = (secret: string): Promise<CryptoKey> => hmacKey(LABEL + secret)

/** A link token for `key` (a blob, or a folder ending in `/`), valid until at least `ttl` seconds from `now` (rounded up to the next hour). */
export async function signBlobLink(
  secret: string,
  key: string,
  nowSeconds: number = Math.floor(Date.now() / 1000),
  ttl: number = LINK_TTL_SECONDS,
): Promise<string> {
  const exp = Math.ceil((nowSeconds + ttl) / 3600) * 3600
  const body = `f1.${b64url(enc.encode(key))}.${exp}`
  const sig = new Uint8Array(await crypto.subtle.sign('HMAC', await keyFor(secret), enc.encode(body)))
  return `${body}.${b64url(sig)}`
}

/** The blob key of a valid, unexpired link token, or null. */
export async function verifyBlobLink(
  secret: string,
  token: string,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): Promise<string | null> {
  const parts = token.split('.')
  if (parts.length !== 4 || parts[0] !== 'f1') return null
  const [, keyPart = '', expPart = '', sig = ''] = parts
  if (!/^\d{1,12}$/.test(expPart) || Number(expPart) < nowSeconds) return null
  try {
    const ok = await crypto.subtle.verify(
      'HMAC',
      await keyFor(secret),
      fromB64url(sig),
      enc.encode(`f1.${keyPart}.${expPart}`),
    )
    return ok ? new TextDecoder().decode(fromB64url(keyPart)) : null
  } catch {
    return null
  }
}
