/**
 * Small runtime-neutral helpers for the HMAC-signed tokens (sessions, file links): base64url and a cached
 * WebCrypto HMAC-SHA256 key per secret.
 */
const enc = new TextEncoder()

export const b64url = (bytes: Uint8Array): string => {
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/**
 * Decodes base64url, refusing any text that is not the canonical encoding of its bytes (a last character
 * whose unused low bits are set decodes to the same bytes as another one): a token is then valid as exactly
 * one string, and changing any character of a signature invalidates it.
 */
export const fromB64url = (s: string): Uint8Array<ArrayBuffer> => {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4))
  const out = new Uint8Array(new ArrayBuffer(bin.length))
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  if (b64url(out) !== s) throw new Error('not canonical base64url')
  return out
}

const keys = new Map<string, Promise<CryptoKey>>()

/** The HMAC-SHA256 key for this key material (cached: a process sees only a handful). */
export const hmacKey = (material: string): Promise<CryptoKey> => {
  let k = keys.get(material)
  if (!k) {
    k = crypto.subtle.importKey('raw', enc.encode(material), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ])
    keys.set(material, k)
  }
  return k
}
