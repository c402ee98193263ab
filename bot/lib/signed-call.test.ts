import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { signPayload, verifyPayload } from './signed-call'

describe('verifyPayload', () => {
  it('accepts a WebCrypto signature and a node:crypto one by either live secret, and refuses any change', async () => {
    const sig = await signPayload('fcs_a', '1700000000', 'nonce-0123456789ab', '{"x":1}')
    expect(sig).toBe(
      `v1=${createHmac('sha256', 'fcs_a').update('1700000000.nonce-0123456789ab.{"x":1}').digest('hex')}`,
    )
    expect(await verifyPayload(['fcs_b', 'fcs_a'], sig, '1700000000', 'nonce-0123456789ab', '{"x":1}')).toBe(
      true,
    )
    expect(
      await verifyPayload(
        ['fcs_a'],
        `v1=${'0'.repeat(64)}, ${sig}`,
        '1700000000',
        'nonce-0123456789ab',
        '{"x":1}',
      ),
    ).toBe(true)
    expect(await verifyPayload(['fcs_a'], sig, '1700000000', 'nonce-0123456789ab', '{"x":2}')).toBe(false)
    expect(await verifyPayload(['fcs_a'], sig, '1700000001', 'nonce-0123456789ab', '{"x":1}')).toBe(false)
    expect(await verifyPayload(['fcs_b'], sig, '1700000000', 'nonce-0123456789ab', '{"x":1}')).toBe(false)
    expect(
      await verifyPayload(['fcs_a'], sig.slice(0, -2), '1700000000', 'nonce-0123456789ab', '{"x":1}'),
    ).toBe(false)
    expect(
      await verifyPayload(
        ['fcs_a'],
        sig.replace('v1=', 'v2='),
        '1700000000',
        'nonce-0123456789ab',
        '{"x":1}',
      ),
    ).toBe(false)
  })
})
