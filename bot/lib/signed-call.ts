import { openSecret, type SecretPurpose, SecretUnavailableError, sealedHint } from './secret-box'
/**
 * The signature scheme of the external-approvals API, both directions (calls from the external system and
 * webhooks to it): `X-Flowcard-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<nonce>.<raw body>")>`.
 * The timestamp (unix seconds) bounds replays to a window; the nonce makes each signed request unique
 * inside it. Runs on Node and Workers: verification uses node:crypto where the runtime has it (Node), else
 * WebCrypto; either way constant-time (`timingSafeEqual`, `subtle.verify`).
 */

export const SIGNATURE_HEADERS = {
  system: 'x-flowcard-system',
  timestamp: 'x-flowcard-timestamp',
  nonce: 'x-flowcard-nonce',
  signature: 'x-flowcard-signature',
  idempotencyKey: 'idempotency-key',
  eventId: 'x-flowcard-event-id',
  event: 'x-flowcard-event',
  attempt: 'x-flowcard-attempt',
} as const

/** Requests older or newer than this (seconds) are refused: the replay window. */
export const REPLAY_WINDOW_SECONDS = 300

export const NONCE_RE = /^[A-Za-z0-9_-]{16,64}$/

const enc = new TextEncoder()
const keys = new Map<string, Promise<CryptoKey>>()

function keyFor(secret: string): Promise<CryptoKey> {
  let k = keys.get(secret)
  if (!k) {
    if (keys.size > 1000) keys.clear()
    k = crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ])
    keys.set(secret, k)
  }
  return k
}

const toHex = (bytes: Uint8Array): string => {
  let s = ''
  for (const b of bytes) s += b.toString(16).padStart(2, '0')
  return s
}

function fromHex(hex: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[0-9a-f]{64}$/.test(hex)) return null
  const out = new Uint8Array(new ArrayBuffer(32))
  for (let i = 0; i < 32; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
}

const signedText = (timestamp: string, nonce: string, body: string) =>
  enc.encode(`${timestamp}.${nonce}.${body}`)

/** `v1=<hex>` for a request or webhook body. */
export async function signPayload(
  secret: string,
  timestamp: string,
  nonce: string,
  body: string,
): Promise<string> {
  const sig = await crypto.subtle.sign('HMAC', await keyFor(secret), signedText(timestamp, nonce, body))
  return `v1=${toHex(new Uint8Array(sig))}`
}

/** True when `header` (`v1=<hex>`, at most two comma-separated are tried) is a valid signature by one of `secrets`. */
export async function verifyPayload(
  secrets: string[],
  header: string,
  timestamp: string,
  nonce: string,
  body: string,
): Promise<boolean> {
  const candidates = header
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.startsWith('v1='))
    // One signature per live secret (current and previous) is all a caller needs; more is CPU for nothing.
    .slice(0, 2)
    .map((p) => fromHex(p.slice(3).toLowerCase()))
    .filter((b): b is Uint8Array<ArrayBuffer> => b !== null)
  if (candidates.length === 0) return false
  const node = nodeCrypto()
  if (node) {
    // On Node: one synchronous HMAC per secret, compared in constant time (a WebCrypto verify costs several
    // times the CPU on the intake's hot path: a job, key transfer and promise per call).
    const text = `${timestamp}.${nonce}.${body}`
    for (const secret of secrets) {
      const mac = node.createHmac('sha256', secret).update(text).digest()
      for (const sig of candidates)
        if (sig.length === mac.length && node.timingSafeEqual(mac, sig)) return true
    }
    return false
  }
  const data = signedText(timestamp, nonce, body)
  for (const secret of secrets) {
    const key = await keyFor(secret)
    for (const sig of candidates) if (await crypto.subtle.verify('HMAC', key, sig, data)) return true
  }
  return false
}

type NodeCrypto = typeof import('node:crypto')
let nodeCryptoModule: NodeCrypto | null | undefined
/** node:crypto where the runtime has it (Node's `process.getBuiltinModule`), else null (Workers: WebCrypto). */
function nodeCrypto(): NodeCrypto | null {
  if (nodeCryptoModule === undefined) {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    nodeCryptoModule = (proc?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined) ?? null
  }
  return nodeCryptoModule
}

/** A new shared secret: `fcs_` and 32 random bytes, base64url. */
export function newSecret(): string {
  const bytes = new Uint8Array(32)
  crypto.getRandomValues(bytes)
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return `fcs_${btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`
}

/** A random nonce for outgoing webhooks. */
export function newNonce(): string {
  const bytes = new Uint8Array(16)
  crypto.getRandomValues(bytes)
  return toHex(bytes)
}

/** SHA-256 hex of a text (idempotency: tells a retried start from a conflicting reuse of its key). */
export async function sha256Hex(text: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', enc.encode(text))))
}

/**
 * The last four characters of a secret, to tell secrets apart in the admin UI without showing them. Takes
 * the stored (sealed) value as well as the plain one.
 */
export const secretHint = (secret: string): string => `fcs_…${sealedHint(secret)}`

/** Who holds the secrets a signed call is checked against (an external system, a lead channel). */
export interface SecretHolder {
  secret: string | null
  previousSecret: string | null
  previousSecretUntil: Date | null
}

/**
 * Checks a signed call: the headers are there (`leading` ones first, e.g. the system id), the timestamp is
 * unix seconds inside the {@link REPLAY_WINDOW_SECONDS} window, the nonce is well-formed, and the signature
 * over timestamp, nonce and the raw body is valid for the holder's secret (or its previous one during the
 * rotation grace period). `load` finds the holder (undefined when unknown: that answers like a bad
 * signature, so nothing tells a prober which keys exist). Every failure is `refuse(message, header)`.
 * Replay (a nonce seen before) is the caller's to record: it must come after these checks.
 */
export async function verifySignedCall<H extends SecretHolder>(input: {
  headers: (name: string) => string | undefined
  body: string
  now: Date
  leading?: ReadonlyArray<readonly [name: string, value: string]>
  load: () => Promise<H | undefined>
  refuse: (message: string, header?: string) => Error
  /** Which column the holder's secrets are sealed for (`secret-box.ts`). */
  purpose: SecretPurpose
}): Promise<{ holder: H; nonce: string }> {
  const { headers, now, refuse } = input
  const timestamp = headers(SIGNATURE_HEADERS.timestamp)?.trim() ?? ''
  const nonce = headers(SIGNATURE_HEADERS.nonce)?.trim() ?? ''
  const signature = headers(SIGNATURE_HEADERS.signature)?.trim() ?? ''
  for (const [name, value] of [
    ...(input.leading ?? []),
    [SIGNATURE_HEADERS.timestamp, timestamp],
    [SIGNATURE_HEADERS.nonce, nonce],
    [SIGNATURE_HEADERS.signature, signature],
  ] as const) {
    if (!value) throw refuse(`missing ${name} header`, name)
  }
  if (!/^\d{9,11}$/.test(timestamp))
    throw refuse('timestamp must be unix seconds', SIGNATURE_HEADERS.timestamp)
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > REPLAY_WINDOW_SECONDS)
    throw refuse(`timestamp is outside the ${REPLAY_WINDOW_SECONDS} s window`, SIGNATURE_HEADERS.timestamp)
  if (!NONCE_RE.test(nonce)) throw refuse('nonce must be 16-64 of A-Z a-z 0-9 _ -', SIGNATURE_HEADERS.nonce)
  const holder = await input.load()
  const stored = holder?.secret
    ? [
        holder.secret,
        ...(holder.previousSecret && holder.previousSecretUntil && holder.previousSecretUntil > now
          ? [holder.previousSecret]
          : []),
      ]
    : []
  // Each opened on its own: a previous secret under a dropped key does not stop the current one verifying.
  const opened = await Promise.allSettled(stored.map((s) => openSecret(s, input.purpose)))
  const secrets: string[] = []
  let unavailable: SecretUnavailableError | undefined
  for (const r of opened) {
    if (r.status === 'fulfilled') secrets.push(r.value)
    else if (r.reason instanceof SecretUnavailableError) unavailable ??= r.reason
    else throw r.reason
  }
  if (
    !holder ||
    secrets.length === 0 ||
    !(await verifyPayload(secrets, signature, timestamp, nonce, input.body))
  ) {
    // The secret the caller signed with may be the one this server cannot open: that is the server's
    // problem (503, named), not a bad signature.
    if (unavailable) throw unavailable
    throw refuse('signature does not match', SIGNATURE_HEADERS.signature)
  }
  return { holder, nonce }
}
