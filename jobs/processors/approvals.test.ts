import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isPrivateAddress, webhookPoster } from './approvals'

let received = 0
const server = createServer((req, res) => {
  received++
  req.resume()
  res.end('ok')
})
let url = ''
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
})
afterAll(() => new Promise<void>((r) => server.close(() => r())))

describe('approval webhook targets', () => {
  it('classifies private, loopback, link-local and metadata addresses', () => {
    for (const a of ['10.1.2.3', '172.20.0.1', '192.168.1.1', '127.0.0.1', '169.254.169.254', '100.64.0.1'])
      expect(isPrivateAddress(a), a).toBe(true)
    for (const a of ['::1', '::', 'fd00::1', 'fe80::1', '::ffff:10.0.0.1', '::ffff:127.0.0.1'])
      expect(isPrivateAddress(a), a).toBe(true)
    for (const a of ['8.8.8.8', '203.0.113.10', '2001:4860:4860::8888', '::ffff:8.8.8.8'])
      expect(isPrivateAddress(a), a).toBe(false)
  })

  it('refuses a private target when only public ones are allowed, before connecting', async () => {
    const before = received
    const post = webhookPoster(2000, true)
    const body = '{}'
    await expect(post({ url, headers: {}, body })).rejects.toThrow(/private address 127\.0\.0\.1/)
    await expect(post({ url: url.replace('127.0.0.1', 'localhost'), headers: {}, body })).rejects.toThrow(
      /private address/,
    )
    await expect(post({ url: 'http://[::1]:9/hook', headers: {}, body })).rejects.toThrow(/private address/)
    expect(received).toBe(before)
    // Allowed (development, tests, or WEBHOOK_PRIVATE_TARGETS=allow): it is delivered.
    expect(await webhookPoster(2000, false)({ url, headers: {}, body })).toEqual({ status: 200, text: 'ok' })
    expect(received).toBe(before + 1)
  })
})
