import { describe, expect, it } from 'vitest'
import { signToken, verifyToken } from '../session-token'
import { signBlobLink, signObjectLink, verifyBlobLink, verifyObjectLink } from './signed-link'

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

describe('signed object links', () => {
  const photo = 't_1/service/pho_1.jpg'
  it('open exactly one object of one tenant for one purpose, until the expiry', async () => {
    const token = await signObjectLink(secret, 'service-photo', 't_1', photo, now)
    expect(await verifyObjectLink(secret, 'service-photo', token, now)).toEqual({
      tenantId: 't_1',
      key: photo,
    })
    const exp = Number(token.split('.')[3])
    expect(exp % 3600).toBe(0)
    expect(await verifyObjectLink(secret, 'service-photo', token, exp + 1)).toBe('expired')
    expect(await verifyObjectLink(secret, 'visit-photo', token, now)).toBe('invalid')
    expect(await verifyBlobLink(secret, token, now)).toBeNull()
  })

  it('refuse a changed tenant, key or expiry, a key outside its tenant, a folder link and garbage', async () => {
    const token = await signObjectLink(secret, 'service-photo', 't_1', photo, now)
    const [v, t, k, exp, sig] = token.split('.') as [string, string, string, string, string]
    const b = (s: string) => Buffer.from(s).toString('base64url')
    for (const forged of [
      [v, b('t_2'), b('t_2/service/pho_1.jpg'), exp, sig],
      [v, t, b('t_1/service/pho_2.jpg'), exp, sig],
      [v, t, k, String(Number(exp) + 3600), sig],
      [v, t, k, exp, b('x'.repeat(32))],
    ])
      expect(await verifyObjectLink(secret, 'service-photo', forged.join('.'), now)).toBe('invalid')
    const outside = await signObjectLink(secret, 'service-photo', 't_1', 't_2/service/pho_1.jpg', now)
    expect(await verifyObjectLink(secret, 'service-photo', outside, now)).toBe('invalid')
    const folder = await signBlobLink(secret, 't_1/service/', now)
    expect(await verifyObjectLink(secret, 'service-photo', folder, now)).toBe('invalid')
    for (const bad of ['', 'o1', 'o1.a.b.c.d', `${token}.x`, 'o1.!!.@@.1.##'])
      expect(await verifyObjectLink(secret, 'service-photo', bad, now)).toBe('invalid')
  })
})
