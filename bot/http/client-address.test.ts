import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { clientAddress, isPrivateAddress } from './client-address'

/** An app answering the client address, as if the socket's peer were `peer` and TRUST_PROXY `trust`. */
function appWith(peer: string | undefined, trust?: string) {
  const app = new Hono()
  app.use('*', async (c, next) => {
    c.set('deps' as never, { env: trust ? { TRUST_PROXY: trust } : {} } as never)
    await next()
  })
  app.get('/', (c) => c.text(clientAddress(c)))
  const env = peer === undefined ? {} : { incoming: { socket: { remoteAddress: peer } } }
  return async (headers: Record<string, string>) => (await app.request('/', { headers }, env)).text()
}

describe('clientAddress', () => {
  const xff = { 'x-forwarded-for': '203.0.113.9, 10.0.0.2' }
  it('believes X-Forwarded-For from a proxy on a private or loopback address (the default)', async () => {
    expect(await appWith('127.0.0.1')(xff)).toBe('203.0.113.9')
    expect(await appWith('::ffff:10.1.2.3')(xff)).toBe('203.0.113.9')
    expect(await appWith('192.168.1.5')({ 'x-real-ip': '198.51.100.7' })).toBe('198.51.100.7')
  })
  it('ignores a made-up X-Forwarded-For from a client on a public address', async () => {
    expect(await appWith('198.51.100.20')(xff)).toBe('198.51.100.20')
    expect(await appWith('198.51.100.20')({ 'x-real-ip': '1.2.3.4' })).toBe('198.51.100.20')
  })
  it('follows TRUST_PROXY true and false', async () => {
    expect(await appWith('198.51.100.20', 'true')(xff)).toBe('203.0.113.9')
    expect(await appWith('127.0.0.1', 'false')(xff)).toBe('127.0.0.1')
  })
  it("takes Cloudflare's CF-Connecting-IP where there is no socket (Workers)", async () => {
    expect(await appWith(undefined)({ 'cf-connecting-ip': '203.0.113.50', ...xff })).toBe('203.0.113.50')
    expect(await appWith('198.51.100.20')({ 'cf-connecting-ip': '203.0.113.50' })).toBe('198.51.100.20')
  })
  it('knows private ranges', () => {
    for (const a of [
      '127.0.0.1',
      '10.9.9.9',
      '172.16.0.1',
      '172.31.255.1',
      '192.168.0.1',
      '169.254.1.1',
      '100.64.0.1',
      '::1',
      'fd12:3456::1',
      'fe80::1',
    ])
      expect(isPrivateAddress(a), a).toBe(true)
    for (const a of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '2001:db8::1', '203.0.113.9'])
      expect(isPrivateAddress(a), a).toBe(false)
  })
})
