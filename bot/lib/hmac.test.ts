import { describe, expect, it } from 'vitest'
import { b64url, fromB64url } from './hmac'

describe('base64url', () => {
  it('round-trips bytes and refuses non-canonical text that would decode to the same bytes', () => {
    const bytes = new Uint8Array(32).map((_, i) => (i * 37) & 0xff)
    const text = b64url(bytes)
    expect(fromB64url(text)).toEqual(bytes)
    // 32 bytes leave 2 unused bits in the last character: flipping one still decodes to the same bytes.
    const last = text.at(-1) ?? 'A'
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const twin = text.slice(0, -1) + alphabet[alphabet.indexOf(last) ^ 1]
    expect(() => fromB64url(twin)).toThrow(/canonical/)
  })
})
