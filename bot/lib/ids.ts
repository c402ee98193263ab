const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'

/**
 * A prefixed, time-sortable id such as `usr_01j8…`: 10 chars of millisecond time then 14 random chars
 * (Crockford base32). Runtime-neutral (WebCrypto).
 */
export function newId(prefix: string, now: number = Date.now()): string {
  let time = ''
  let t = now
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time
    t = Math.floor(t / 32)
  }
  const bytes = new Uint8Array(14)
  globalThis.crypto.getRandomValues(bytes)
  let rand = ''
  for (const b of bytes) rand += ALPHABET[b % 32]
  return `${prefix}_${time}${rand}`
}
