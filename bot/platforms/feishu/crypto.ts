/**
 * Feishu/Lark push-side cryptography: the `X-Lark-Signature` check and the AES-256-CBC envelope used when an
 * Encrypt Key is configured (feishu.md §2.2–2.3).
 *
 * Runtime-neutral on purpose: only WebCrypto (`globalThis.crypto.subtle`), TextEncoder/TextDecoder and
 * atob/btoa, so the same code runs on Node 20 and Cloudflare Workers, where the official SDK (which uses
 * `node:crypto`) cannot.
 */

const encoder = new TextEncoder()
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/** Why a Feishu ciphertext was refused; stable strings so callers can map them without parsing messages. */
export type FeishuCryptoErrorCode =
  | 'empty_key'
  | 'invalid_base64'
  | 'invalid_length'
  | 'decrypt_failed'
  | 'invalid_utf8'

/**
 * Thrown by {@link decryptFeishu} for any input it cannot turn into text. A typed error (rather than a bare
 * DOMException from WebCrypto) lets the webhook route answer 400 without leaking crypto internals.
 */
export class FeishuCryptoError extends Error {
  readonly code: FeishuCryptoErrorCode

  constructor(code: FeishuCryptoErrorCode, message: string) {
    super(message)
    this.name = 'FeishuCryptoError'
    this.code = code
  }
}

/** Bytes accepted wherever a raw request body is hashed: the exact text or the exact bytes received. */
export type RawBody = string | Uint8Array | ArrayBuffer

/** Inputs of the event/callback signature (feishu.md §2.3); header values as received. */
export interface FeishuSignatureInput {
  /** `X-Lark-Request-Timestamp` (unix seconds, as a string). */
  timestamp: string
  /** `X-Lark-Request-Nonce`. */
  nonce: string
  /** The app's Encrypt Key (secret). */
  encryptKey: string
  /** The request body exactly as received – never a re-serialised JSON object. */
  rawBody: RawBody
}

/** {@link FeishuSignatureInput} plus the `X-Lark-Signature` header to check. */
export interface VerifyFeishuSignatureInput extends FeishuSignatureInput {
  signature: string | null | undefined
}

function subtle(): SubtleCrypto {
  const c = globalThis.crypto
  if (!c?.subtle) throw new Error('WebCrypto (globalThis.crypto.subtle) is not available in this runtime')
  return c.subtle
}

function toBytes(body: RawBody): Uint8Array {
  if (typeof body === 'string') return encoder.encode(body)
  if (body instanceof Uint8Array) return body
  return new Uint8Array(body)
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.byteLength + b.byteLength)
  out.set(a, 0)
  out.set(b, a.byteLength)
  return out
}

function toHex(buf: ArrayBuffer): string {
  const bytes = new Uint8Array(buf)
  let out = ''
  for (const b of bytes) out += b.toString(16).padStart(2, '0')
  return out
}

/** Standard base64 (with padding) of bytes, without Buffer. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = ''
  const chunk = 0x8000
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk))
  }
  return btoa(binary)
}

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/

/**
 * Strict standard-base64 decode (whitespace tolerated, url-safe alphabet refused) without Buffer; throws
 * {@link FeishuCryptoError} `invalid_base64` so callers see one error type.
 */
export function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const clean = b64.replace(/\s+/g, '')
  if (!BASE64_RE.test(clean) || clean.length % 4 === 1) {
    throw new FeishuCryptoError('invalid_base64', 'ciphertext is not valid base64')
  }
  let binary: string
  try {
    binary = atob(clean)
  } catch {
    throw new FeishuCryptoError('invalid_base64', 'ciphertext is not valid base64')
  }
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}

/**
 * Compares two strings in time that depends only on their lengths, so a signature check does not reveal how
 * many leading characters of a forged signature were right. Different lengths return false (length is not
 * secret: every valid signature is 64 hex characters).
 */
export function timingSafeEqualStr(a: string, b: string): boolean {
  const len = Math.max(a.length, b.length)
  let diff = a.length ^ b.length
  for (let i = 0; i < len; i++) {
    diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0)
  }
  return diff === 0
}

/**
 * Computes `X-Lark-Signature`: lowercase hex SHA-256 over UTF8(timestamp + nonce + encryptKey) followed by the
 * raw body bytes. Plain SHA-256, not HMAC – that is what Feishu sends. Used by the verifier and by test fakes
 * that sign pushes.
 */
export async function feishuSignature(input: FeishuSignatureInput): Promise<string> {
  const prefix = encoder.encode(input.timestamp + input.nonce + input.encryptKey)
  const digest = await subtle().digest('SHA-256', concatBytes(prefix, toBytes(input.rawBody)))
  return toHex(digest)
}

/**
 * Checks a pushed event/callback against its `X-Lark-Signature`, hashing the raw body (the SDK hashes
 * `JSON.stringify(parsed)`, which breaks as soon as the serialisation differs). Returns false – never throws –
 * for a missing or malformed header, so the caller has a single rejection path. Freshness of the timestamp is
 * the caller's policy and is not checked here.
 */
export async function verifyFeishuSignature(input: VerifyFeishuSignatureInput): Promise<boolean> {
  const { signature } = input
  if (typeof signature !== 'string' || signature.length === 0) return false
  if (!input.encryptKey) return false
  const expected = await feishuSignature(input)
  return timingSafeEqualStr(expected, signature.trim().toLowerCase())
}

// The derived key is a pure function of the Encrypt Key; caching the CryptoKey avoids a digest and an import
// per request. Bounded because a process only ever sees a handful of keys (one per app/tenant).
const keyCache = new Map<string, Promise<CryptoKey>>()
const KEY_CACHE_MAX = 32

function aesKey(encryptKey: string): Promise<CryptoKey> {
  if (!encryptKey) throw new FeishuCryptoError('empty_key', 'encrypt key is empty')
  const cached = keyCache.get(encryptKey)
  if (cached) return cached
  const created = (async () => {
    const raw = await subtle().digest('SHA-256', encoder.encode(encryptKey))
    return subtle().importKey('raw', raw, { name: 'AES-CBC' }, false, ['encrypt', 'decrypt'])
  })()
  if (keyCache.size >= KEY_CACHE_MAX) {
    const oldest = keyCache.keys().next()
    if (!oldest.done) keyCache.delete(oldest.value)
  }
  keyCache.set(encryptKey, created)
  created.catch(() => keyCache.delete(encryptKey))
  return created
}

const IV_BYTES = 16
const BLOCK_BYTES = 16

/**
 * Decrypts a Feishu `{"encrypt": "…"}` value: key = SHA-256(Encrypt Key), base64 = 16-byte IV ‖ AES-256-CBC
 * ciphertext with PKCS#7 padding, plaintext UTF-8 JSON text. Throws {@link FeishuCryptoError} for bad base64,
 * a wrong length, a wrong key/padding, or non-UTF-8 output.
 */
export async function decryptFeishu(encryptKey: string, b64: string): Promise<string> {
  const key = await aesKey(encryptKey)
  const data = base64ToBytes(b64)
  const body = data.byteLength - IV_BYTES
  if (body < BLOCK_BYTES || body % BLOCK_BYTES !== 0) {
    throw new FeishuCryptoError('invalid_length', 'ciphertext must be a 16-byte IV plus whole AES blocks')
  }
  let plain: ArrayBuffer
  try {
    plain = await subtle().decrypt(
      { name: 'AES-CBC', iv: data.subarray(0, IV_BYTES) },
      key,
      data.subarray(IV_BYTES),
    )
  } catch {
    throw new FeishuCryptoError('decrypt_failed', 'decryption failed (wrong encrypt key or corrupt data)')
  }
  try {
    return strictUtf8.decode(plain)
  } catch {
    throw new FeishuCryptoError('invalid_utf8', 'decrypted payload is not UTF-8')
  }
}

/**
 * Produces the value Feishu would put in `{"encrypt": …}` for the given plaintext, with a random IV. The bot
 * never encrypts in production; tests and the fake platform use this to build encrypted pushes.
 */
export async function encryptFeishu(encryptKey: string, plaintext: string): Promise<string> {
  const key = await aesKey(encryptKey)
  const iv = new Uint8Array(IV_BYTES)
  globalThis.crypto.getRandomValues(iv)
  const ct = await subtle().encrypt({ name: 'AES-CBC', iv }, key, encoder.encode(plaintext))
  return bytesToBase64(concatBytes(iv, new Uint8Array(ct)))
}
