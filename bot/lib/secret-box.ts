import { b64url, fromB64url } from './hmac'

/**
 * Secrets the database keeps on behalf of other systems (external-system and lead-intake HMAC secrets) are
 * stored sealed: AES-256-GCM (WebCrypto, so the same code runs on Node and Workers) under a key from
 * `ENCRYPTION_KEYS`, as `fc1.<key id>.<hint>.<iv>.<ciphertext+tag>`. The key id says which key decrypts a
 * value, so keys rotate without a flag day: the first key of the list seals, every listed key opens, and
 * `npm run secrets:reseal` (also run at boot) moves every value to the first key. The hint (last four
 * characters, which admins already see) and the purpose (which column the value belongs to) are
 * authenticated data: a value copied into another kind of column, or a changed hint, does not open.
 */

const PREFIX = 'fc1'
const KEY_ID_RE = /^[A-Za-z0-9_-]{1,32}$/
const enc = new TextEncoder()
const dec = new TextDecoder('utf-8', { fatal: true })

/** Which column a sealed value belongs to (bound into the ciphertext). */
export type SecretPurpose = 'external-system' | 'lead-channel'

export interface SecretKeyring {
  /** Seals new values. */
  current: string
  /** Every key that may open a value, by id (the current one included). */
  keys: ReadonlyMap<string, Promise<CryptoKey>>
}

/**
 * A stored secret this process cannot open: sealed under a key `ENCRYPTION_KEYS` does not list
 * (`key-missing`: the key was dropped before `npm run secrets:reseal` moved its values), or a value that
 * does not authenticate (`unauthentic`: tampered with, or copied from another kind of column). Not the
 * caller's fault and not fixed by retrying alone: a request that needs the secret answers 503 naming the
 * problem, and the administrator is told once in the log (`bot/http/errors.ts`).
 */
export class SecretUnavailableError extends Error {
  constructor(
    readonly keyId: string,
    readonly reason: 'key-missing' | 'unauthentic',
    message: string,
  ) {
    super(message)
    this.name = 'SecretUnavailableError'
  }
}

/** A value that names a key the keyring does not hold (dropped from `ENCRYPTION_KEYS` too early). */
export class SecretKeyMissingError extends SecretUnavailableError {
  constructor(keyId: string) {
    super(
      keyId,
      'key-missing',
      `stored secret is sealed with key id "${keyId}", which ENCRYPTION_KEYS does not list`,
    )
    this.name = 'SecretKeyMissingError'
  }
}

const importAes = (raw: Uint8Array<ArrayBuffer>) =>
  crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt'])

function decodeKey(text: string): Uint8Array<ArrayBuffer> | null {
  const t = text.trim()
  try {
    // base64 or base64url, padded or not.
    const bin = atob(t.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, ''))
    if (bin.length !== 32) return null
    const out = new Uint8Array(new ArrayBuffer(32))
    for (let i = 0; i < 32; i++) out[i] = bin.charCodeAt(i)
    return out
  } catch {
    return null
  }
}

/**
 * Parses `ENCRYPTION_KEYS`: comma-separated `<key id>:<32 bytes, base64>`, the sealing key first, e.g.
 * `k2:…,k1:…` while rotating from k1 to k2. Returns the problem as text when the value is not usable.
 */
export function parseEncryptionKeys(value: string): SecretKeyring | string {
  const parts = value
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
  if (parts.length === 0) return 'needs at least one <id>:<base64 key>'
  const keys = new Map<string, Promise<CryptoKey>>()
  for (const part of parts) {
    const colon = part.indexOf(':')
    const id = colon > 0 ? part.slice(0, colon) : ''
    if (!KEY_ID_RE.test(id))
      return 'each key is <id>:<base64 key>, the id 1–32 letters, digits, - or _ (e.g. k1:$(openssl rand -base64 32))'
    if (keys.has(id)) return `key id "${id}" is listed twice`
    const raw = decodeKey(part.slice(colon + 1))
    if (!raw) return `key "${id}" must be 32 random bytes in base64 (openssl rand -base64 32)`
    keys.set(id, importAes(raw))
  }
  return { current: [...keys.keys()][0] as string, keys }
}

/** A keyring of one key (the generated local key, tests). */
export function keyringOf(id: string, raw: Uint8Array<ArrayBuffer>): SecretKeyring {
  return { current: id, keys: new Map([[id, importAes(raw)]]) }
}

/** A new random 32-byte key, base64 (what `ENCRYPTION_KEYS` expects after `<id>:`). */
export function newEncryptionKey(): string {
  const raw = new Uint8Array(32)
  crypto.getRandomValues(raw)
  let s = ''
  for (const b of raw) s += String.fromCharCode(b)
  return btoa(s)
}

let installed: SecretKeyring | null = null

/** Makes `ring` the keyring of this process (done once at boot, from the environment). */
export function installSecretKeys(ring: SecretKeyring): void {
  installed = ring
}

/** Whether a keyring has been installed in this process. */
export const secretKeysInstalled = (): boolean => installed !== null

function ring(): SecretKeyring {
  if (!installed)
    throw new Error('no encryption keys installed (ENCRYPTION_KEYS): stored secrets cannot be used')
  return installed
}

const additional = (purpose: SecretPurpose, hint: string) => enc.encode(`${PREFIX}|${purpose}|${hint}`)

/** True when a stored value is sealed (anything else is a plaintext value from before encryption). */
export const isSealed = (stored: string): boolean => stored.startsWith(`${PREFIX}.`)

/** The key id a sealed value needs, or null for a plaintext value. */
export const sealedKeyId = (stored: string): string | null =>
  isSealed(stored) ? (stored.split('.')[1] ?? null) : null

/** The last four characters of the secret, readable without the key. */
export function sealedHint(stored: string): string {
  if (!isSealed(stored)) return stored.slice(-4)
  try {
    return dec.decode(fromB64url(stored.split('.')[2] ?? ''))
  } catch {
    return ''
  }
}

/** Seals a secret for storage under the current key. */
export async function sealSecret(
  plain: string,
  purpose: SecretPurpose,
  keyring: SecretKeyring = ring(),
): Promise<string> {
  const key = keyring.keys.get(keyring.current) as Promise<CryptoKey>
  const hint = b64url(enc.encode(plain.slice(-4)))
  const iv = new Uint8Array(new ArrayBuffer(12))
  crypto.getRandomValues(iv)
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: additional(purpose, hint) },
    await key,
    enc.encode(plain),
  )
  return [PREFIX, keyring.current, hint, b64url(iv), b64url(new Uint8Array(sealed))].join('.')
}

/**
 * Opens a stored secret. A plaintext value (stored before encryption, until the boot reseal converts it)
 * is returned as it is. Throws `SecretKeyMissingError` for a key id the keyring lacks, and a
 * `SecretUnavailableError` for a value that does not authenticate (tampered, or moved from another kind of
 * column).
 */
export async function openSecret(
  stored: string,
  purpose: SecretPurpose,
  keyring: SecretKeyring = ring(),
): Promise<string> {
  if (!isSealed(stored)) return stored
  // A sealed value always opens to the same text: remembered per keyring, so a hot path (every signed
  // intake push checks its channel's secret) decrypts once, not per request.
  let memo = opened.get(keyring)
  if (!memo) {
    memo = new Map()
    opened.set(keyring, memo)
  }
  const memoKey = `${purpose}|${stored}`
  const known = memo.get(memoKey)
  if (known !== undefined) return known
  const plain = await decryptSealed(stored, purpose, keyring)
  if (memo.size >= OPENED_MAX) memo.clear()
  memo.set(memoKey, plain)
  return plain
}

/** Opened secrets per keyring, by purpose and sealed value (bounded: cleared when full). */
const opened = new WeakMap<SecretKeyring, Map<string, string>>()
const OPENED_MAX = 1000

async function decryptSealed(
  stored: string,
  purpose: SecretPurpose,
  keyring: SecretKeyring,
): Promise<string> {
  const [, id = '', hint = '', iv = '', body = ''] = stored.split('.')
  const key = keyring.keys.get(id)
  if (!key) throw new SecretKeyMissingError(id)
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: fromB64url(iv), additionalData: additional(purpose, hint) },
      await key,
      fromB64url(body),
    )
    return dec.decode(plain)
  } catch {
    throw new SecretUnavailableError(
      id,
      'unauthentic',
      `stored secret (key id "${id}") does not authenticate`,
    )
  }
}

/** Whether `stored` should be resealed: plaintext, or sealed under a key other than the current one. */
export function needsReseal(stored: string, keyring: SecretKeyring = ring()): boolean {
  return sealedKeyId(stored) !== keyring.current
}
