/**
 * Short-lived signed session tokens (`v1.<payload>.<signature>`, HMAC-SHA-256 over base64url JSON).
 * Runtime-neutral: WebCrypto only.
 */
export interface SessionClaims {
  /** tenant id */
  t: string
  /** user id */
  u: string
  /** platform the user signed in through */
  p: string
  /** expiry, unix seconds */
  exp: number
  /** purpose: `session` for API calls, `login` for one-time devchat login codes */
  k: 'session' | 'login'
  /** unique id (one-time codes are claimed by it) */
  j: string
}

import { b64url, fromB64url, hmacKey } from './hmac'

const enc = new TextEncoder()
const dec = new TextDecoder()

const keyFor = (secret: string): Promise<CryptoKey> => hmacKey(secret)

export async function signToken(secret: string, claims: SessionClaims): Promise<string> {
  const body = b64url(enc.encode(JSON.stringify(claims)))
  const sig = new Uint8Array(await crypto.subtle.sign('HMAC', await keyFor(secret), enc.encode(`v1.${body}`)))
  return `v1.${body}.${b64url(sig)}`
}

/** Verifies signature, purpose and expiry; returns the claims or null. Constant-time via WebCrypto verify. */
export async function verifyToken(
  secret: string,
  token: string,
  kind: SessionClaims['k'],
  nowSeconds: number = Math.floor(Date.now() / 1000),
): Promise<SessionClaims | null> {
  const parts = token.split('.')
  if (parts.length !== 3 || parts[0] !== 'v1') return null
  const [, body = '', sig = ''] = parts
  let ok = false
  try {
    ok = await crypto.subtle.verify('HMAC', await keyFor(secret), fromB64url(sig), enc.encode(`v1.${body}`))
  } catch {
    return null
  }
  if (!ok) return null
  try {
    const claims = JSON.parse(dec.decode(fromB64url(body))) as SessionClaims
    if (claims.k !== kind || typeof claims.exp !== 'number' || claims.exp < nowSeconds) return null
    if (typeof claims.t !== 'string' || typeof claims.u !== 'string') return null
    return claims
  } catch {
    return null
  }
}
