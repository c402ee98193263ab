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

const OBJECT_LABEL = 'flowcard object link v1:'
const objectMessage = (purpose: string, tenantId: string, key: string, exp: string) =>
  enc.encode(`o1\n${purpose}\n${tenantId}\n${key}\n${exp}`)

/**
 * A link token for exactly one object (`o1.<tenant>.<key>.<expiry>.<signature>`): the HMAC covers the
 * purpose (the route that serves it), the tenant, the whole key and the expiry (rounded up to the hour as
 * above), under a key of its own label — so it never opens a folder, another object, another tenant's
 * object, or verifies on another route or as a folder link.
 */
export async function signObjectLink(
  secret: string,
  purpose: string,
  tenantId: string,
  key: string,
  nowSeconds: number = Math.floor(Date.now() / 1000),
  ttl: number = LINK_TTL_SECONDS,
): Promise<string> {
  const exp = String(Math.ceil((nowSeconds + ttl) / 3600) * 3600)
  const sig = await crypto.subtle.sign(
    'HMAC',
    await hmacKey(OBJECT_LABEL + secret),
    objectMessage(purpose, tenantId, key, exp),
  )
  return ['o1', b64url(enc.encode(tenantId)), b64url(enc.encode(key)), exp, b64url(new Uint8Array(sig))].join(
    '.',
  )
}

/**
 * Why an object link does not open: `invalid` (malformed, tampered, another purpose or a key outside its
 * tenant) or `expired` (a genuine link past its time); else the tenant and key it grants.
 */
export async function verifyObjectLink(
  secret: string,
  purpose: string,
  token: string,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): Promise<{ tenantId: string; key: string } | 'invalid' | 'expired'> {
  const parts = token.split('.')
  if (parts.length !== 5 || parts[0] !== 'o1') return 'invalid'
  const [, tenantPart = '', keyPart = '', exp = '', sig = ''] = parts
  if (!/^\d{1,12}$/.test(exp)) return 'invalid'
  try {
    const dec = new TextDecoder('utf-8', { fatal: true })
    const tenantId = dec.decode(fromB64url(tenantPart))
    const key = dec.decode(fromB64url(keyPart))
    if (!tenantId || !key.startsWith(`${tenantId}/`)) return 'invalid'
    const ok = await crypto.subtle.verify(
      'HMAC',
      await hmacKey(OBJECT_LABEL + secret),
      fromB64url(sig),
      objectMessage(purpose, tenantId, key, exp),
    )
    if (!ok) return 'invalid'
    return Number(exp) < nowSeconds ? 'expired' : { tenantId, key }
  } catch {
    return 'invalid'
  }
}
