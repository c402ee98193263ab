import { createHash, randomBytes } from 'node:crypto'

/**
 * Id shapes as Feishu issues them, so code that sniffs prefixes (`ou_` vs `oc_`,
 * `t-` vs `u-`) behaves the same against the fake as against the real platform.
 */

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

function randomFrom(alphabet: string, n: number): string {
  const bytes = randomBytes(n)
  let out = ''
  for (const b of bytes) out += alphabet[b % alphabet.length]
  return out
}

/** Random lowercase hex of `n` characters. */
export function hex(n: number): string {
  return randomBytes(Math.ceil(n / 2))
    .toString('hex')
    .slice(0, n)
}

/** Deterministic lowercase hex derived from `seed`, so seeded org ids are stable across runs. */
export function stableHex(seed: string, n = 32): string {
  let out = ''
  let i = 0
  while (out.length < n) {
    out += createHash('sha256').update(`${seed}#${i++}`).digest('hex')
  }
  return out.slice(0, n)
}

export const newMessageId = (): string => `om_${hex(32)}`
export const newBatchMessageId = (): string => `bm-${hex(32)}`
export const newChatId = (): string => `oc_${hex(32)}`
export const newTenantToken = (): string => `t-g${randomFrom(UPPER_ALNUM, 38)}`
export const newAppToken = (): string => `a-g${randomFrom(UPPER_ALNUM, 38)}`
export const newUserToken = (): string => `u-${randomFrom(ALNUM, 43)}`
export const newRefreshToken = (): string => `ur-${randomFrom(ALNUM, 43)}`
export const newCardToken = (): string => `c-${hex(40)}`
export const newImageKey = (): string =>
  `img_v3_02${hex(2)}_${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}g`
export const newFileKey = (): string =>
  `file_v3_00${hex(2)}_${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}g`
export const newLoginCode = (): string => randomFrom(ALNUM, 32)
export const newJsapiTicket = (): string => randomFrom(ALNUM, 40)
export const newEventId = (): string => hex(32)

/** `log_id` as in Feishu error bodies: a yyyyMMddHHmmss stamp followed by hex. */
export function newLogId(now = Date.now()): string {
  const d = new Date(now)
  const p = (v: number, w = 2) => String(v).padStart(w, '0')
  const stamp = `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}`
  return `${stamp}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}${hex(20).toUpperCase()}`
}

/** True for an app id the WSClient accepts (`cli_` + 16 hex). */
export const isAppId = (s: string): boolean => /^cli_[0-9a-fA-F]{16}$/.test(s)
