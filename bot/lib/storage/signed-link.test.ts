import { describe, expect, it } from 'vitest'
import { signToken, verifyToken } from '../session-token'
import { signBlobLink, verifyBlobLink } from './signed-link'

const secret = 'test-session-secret-0123456789abcdef'
const key = 't_1/visits/vis_1/pho_1.jpg'
const now = 1_800_000_100 // 100 s past an hour boundary

describe('signed blob links', () => {
  it('round-trips the key until the expiry, rounded up to the hour', async () => {
    const token = await signBlobLink(secret, key, now)
    expect(await verifyBlobLink(secret, token, now)).toBe(key)
    const exp = Number(token.split('.')[2])
    expect(exp % 3600).toBe(0)
    expect(exp - now).toBeGreaterThanOrEqual(3600)
    expect(await verifyBlobLink(secret, token, exp)).toBe(key)
    expect(await verifyBlobLink(secret, token, exp + 1)).toBeNull()
    // Within the same hour the link is the same (the browser cache keeps working).
    expect(await signBlobLink(secret, key, now + 60)).toBe(token)
  })

  it('refuses another secret, a changed key or expiry, and garbage', async () => {
    const token = await signBlobLink(secret, key, now)
    const [v, k, exp, sig] = token.split('.') as [string, string, string, string]
    expect(await verifyBlobLink('another-secret-0123456789abcdef0123', token, now)).toBeNull()
    const otherKey = Buffer.from('t_2/visits/vis_1/pho_1.jpg').toString('base64url')
    expect(await verifyBlobLink(secret, [v, otherKey, exp, sig].join('.'), now)).toBeNull()
    expect(await verifyBlobLink(secret, [v, k, String(Number(exp) + 3600), sig].join('.'), now)).toBeNull()
    for (const bad of ['', 'f1', 'f1.a.b.c', 'v1.x.y', `${token}.x`, 'f1.!!.1.@@'])
      expect(await verifyBlobLink(secret, bad, now)).toBeNull()
  })

  it('never verifies as a session token, nor a session token as a link', async () => {
    const link = await signBlobLink(secret, key, now)
    expect(await verifyToken(secret, link, 'session', now)).toBeNull()
    const session = await signToken(secret, {
      t: 't_1',
      u: 'u_1',
      p: 'devchat',
      exp: now + 60,
      k: 'session',
      j: 'j',
    })
    expect(await verifyBlobLink(secret, session, now)).toBeNull()
  })
})
