import { describe, expect, it } from 'vitest'
import {
  isSealed,
  needsReseal,
  openSecret,
  parseEncryptionKeys,
  SecretKeyMissingError,
  type SecretKeyring,
  sealedHint,
  sealSecret,
} from './secret-box'

const ring = (keys: string): SecretKeyring => {
  const r = parseEncryptionKeys(keys)
  if (typeof r === 'string') throw new Error(r)
  return r
}
const K1 = 'k1:2n3oqUjzB1cAvT0mRtIr0rP4lGkQ3d3KfP1jv4Z8S9w='
const K2 = 'k2:Vb3H1c0x9m6yQ8zR5tWkL2pN4sD7fG0jA1eU3iO5rY8='

describe('secret box', () => {
  it('seals with a fresh IV under the first key and opens with any listed key', async () => {
    const a = await sealSecret('fcs_abcdefWXYZ', 'external-system', ring(K1))
    const b = await sealSecret('fcs_abcdefWXYZ', 'external-system', ring(K1))
    expect(a).not.toBe(b)
    expect(a.startsWith('fc1.k1.')).toBe(true)
    expect(a).not.toContain('abcdef')
    expect(await openSecret(a, 'external-system', ring(`${K2},${K1}`))).toBe('fcs_abcdefWXYZ')
    expect(sealedHint(a)).toBe('WXYZ')
    expect(needsReseal(a, ring(K1))).toBe(false)
    expect(needsReseal(a, ring(`${K2},${K1}`))).toBe(true)
  })

  it('refuses a tampered value, another purpose and a key it lacks', async () => {
    const v = await sealSecret('s3cr3t-value', 'lead-channel', ring(K1))
    const parts = v.split('.')
    const body = parts[4] as string
    parts[4] = `${body.slice(0, 5)}${body[5] === 'A' ? 'B' : 'A'}${body.slice(6)}`
    await expect(openSecret(parts.join('.'), 'lead-channel', ring(K1))).rejects.toThrow(
      /does not authenticate/,
    )
    await expect(openSecret(v, 'external-system', ring(K1))).rejects.toThrow(/does not authenticate/)
    await expect(openSecret(v, 'lead-channel', ring(K2))).rejects.toBeInstanceOf(SecretKeyMissingError)
  })

  it('passes plaintext from before encryption through and marks it for resealing', async () => {
    expect(isSealed('fcs_plain')).toBe(false)
    expect(await openSecret('fcs_plain', 'external-system', ring(K1))).toBe('fcs_plain')
    expect(needsReseal('fcs_plain', ring(K1))).toBe(true)
    expect(sealedHint('fcs_plainLAST')).toBe('LAST')
  })

  it('names what is wrong with ENCRYPTION_KEYS', () => {
    expect(parseEncryptionKeys('')).toMatch(/at least one/)
    expect(parseEncryptionKeys('nokey')).toMatch(/<id>:<base64 key>/)
    expect(parseEncryptionKeys('k1:c2hvcnQ=')).toMatch(/32 random bytes/)
    expect(parseEncryptionKeys(`${K1},${K1}`)).toMatch(/listed twice/)
    expect((ring(`${K2},${K1}`) as SecretKeyring).current).toBe('k2')
  })
})
