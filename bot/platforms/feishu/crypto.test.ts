import { createCipheriv, createHash, randomBytes } from 'node:crypto'
import lark from '@larksuiteoapi/node-sdk'
import { describe, expect, it } from 'vitest'
import {
  base64ToBytes,
  bytesToBase64,
  decryptFeishu,
  encryptFeishu,
  FeishuCryptoError,
  feishuSignature,
  isBase64Text,
  timingSafeEqualStr,
  verifyFeishuSignature,
} from './crypto'

const KEY = 'test-encrypt-key-ABC'

/** Reference encryption with node:crypto, because the SDK only ships a decrypter. */
function nodeEncrypt(encryptKey: string, plaintext: string, iv = randomBytes(16)): string {
  const key = createHash('sha256').update(encryptKey).digest()
  const cipher = createCipheriv('aes-256-cbc', key, iv)
  return Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64')
}

function nodeSignature(timestamp: string, nonce: string, encryptKey: string, body: string): string {
  return createHash('sha256')
    .update(timestamp + nonce + encryptKey)
    .update(body)
    .digest('hex')
}

async function rejection(p: Promise<unknown>): Promise<FeishuCryptoError> {
  try {
    await p
  } catch (e) {
    if (e instanceof FeishuCryptoError) return e
    throw e
  }
  throw new Error('expected a FeishuCryptoError')
}

describe('encryptFeishu / decryptFeishu', () => {
  const samples = [
    '',
    '{"challenge":"ajls384kdjx98XX","token":"xxxxxx","type":"url_verification"}',
    JSON.stringify({
      schema: '2.0',
      header: { event_type: 'im.message.receive_v1' },
      event: { t: '审批 ✓' },
    }),
    'x'.repeat(16),
    'y'.repeat(100_003),
  ]

  it.each(samples.map((s) => [s.length, s]))('is decrypted by the SDK AESCipher (len %i)', async (_n, s) => {
    const sealed = await encryptFeishu(KEY, s)
    expect(new lark.AESCipher(KEY).decrypt(sealed)).toBe(s)
  })

  it.each(samples.map((s) => [s.length, s]))('decrypts node:crypto ciphertexts (len %i)', async (_n, s) => {
    expect(await decryptFeishu(KEY, nodeEncrypt(KEY, s))).toBe(s)
  })

  it('round-trips and uses a fresh IV each time', async () => {
    const a = await encryptFeishu(KEY, 'hello')
    const b = await encryptFeishu(KEY, 'hello')
    expect(a).not.toBe(b)
    expect(await decryptFeishu(KEY, a)).toBe('hello')
    expect(base64ToBytes(a).byteLength).toBe(32)
  })

  it('decrypts the published Feishu documentation sample', async () => {
    // Sample from the open-platform "Encrypt Key" page: key "test key", plaintext "hello world".
    const sealed = 'P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk='
    expect(new lark.AESCipher('test key').decrypt(sealed)).toBe('hello world')
    expect(await decryptFeishu('test key', sealed)).toBe('hello world')
  })

  it('rejects a wrong key with a typed error', async () => {
    const sealed = await encryptFeishu(KEY, 'secret payload that spans blocks')
    const err = await rejection(decryptFeishu('another key', sealed))
    // A wrong key fails the PKCS#7 check almost always; in the rare case it does not, the output is not UTF-8.
    expect(['decrypt_failed', 'invalid_utf8']).toContain(err.code)
  })

  it('rejects malformed base64, short and misaligned input, and an empty key', async () => {
    expect((await rejection(decryptFeishu(KEY, 'not base64!!'))).code).toBe('invalid_base64')
    expect((await rejection(decryptFeishu(KEY, bytesToBase64(new Uint8Array(16))))).code).toBe(
      'invalid_length',
    )
    expect((await rejection(decryptFeishu(KEY, bytesToBase64(new Uint8Array(40))))).code).toBe(
      'invalid_length',
    )
    expect((await rejection(decryptFeishu('', nodeEncrypt('x', 'y')))).code).toBe('empty_key')
  })

  it('reports non-UTF-8 plaintext', async () => {
    const key = createHash('sha256').update(KEY).digest()
    const iv = randomBytes(16)
    const cipher = createCipheriv('aes-256-cbc', key, iv)
    const sealed = Buffer.concat([iv, cipher.update(Buffer.from([0xff, 0xfe, 0xc0])), cipher.final()])
    expect((await rejection(decryptFeishu(KEY, sealed.toString('base64')))).code).toBe('invalid_utf8')
  })
})

describe('feishuSignature / verifyFeishuSignature', () => {
  const timestamp = '1700000000'
  const nonce = 'n0nce-123'
  const body =
    '{"encrypt":"FIAfJPGRmFZWkaxPQ1XrJZVbv2JwdjfLk4jx0k/U1deAqYK3AXOZ5zcHt/cC4ZNTqYwWUW/EoL+b2hW/C4zoAQQ=="}'

  it('matches a node:crypto computation for string and byte bodies', async () => {
    const expected = nodeSignature(timestamp, nonce, KEY, body)
    expect(await feishuSignature({ timestamp, nonce, encryptKey: KEY, rawBody: body })).toBe(expected)
    const bytes = new TextEncoder().encode(body)
    expect(await feishuSignature({ timestamp, nonce, encryptKey: KEY, rawBody: bytes })).toBe(expected)
    expect(await feishuSignature({ timestamp, nonce, encryptKey: KEY, rawBody: bytes.buffer })).toBe(expected)
  })

  it('hashes non-ASCII bodies as UTF-8', async () => {
    const zh = '{"text":"请审批 #42 ✅"}'
    expect(await feishuSignature({ timestamp, nonce, encryptKey: KEY, rawBody: zh })).toBe(
      nodeSignature(timestamp, nonce, KEY, zh),
    )
  })

  it('accepts the right signature (any case) and refuses tampering', async () => {
    const signature = nodeSignature(timestamp, nonce, KEY, body)
    const base = { timestamp, nonce, encryptKey: KEY, rawBody: body }
    expect(await verifyFeishuSignature({ ...base, signature })).toBe(true)
    expect(await verifyFeishuSignature({ ...base, signature: signature.toUpperCase() })).toBe(true)
    expect(await verifyFeishuSignature({ ...base, signature, rawBody: `${body} ` })).toBe(false)
    expect(await verifyFeishuSignature({ ...base, signature, timestamp: '1700000001' })).toBe(false)
    expect(await verifyFeishuSignature({ ...base, signature, nonce: 'other' })).toBe(false)
    expect(await verifyFeishuSignature({ ...base, signature, encryptKey: 'wrong' })).toBe(false)
    expect(await verifyFeishuSignature({ ...base, signature: signature.slice(1) })).toBe(false)
    expect(await verifyFeishuSignature({ ...base, signature: '' })).toBe(false)
    expect(await verifyFeishuSignature({ ...base, signature: undefined })).toBe(false)
    expect(await verifyFeishuSignature({ ...base, signature: null })).toBe(false)
    expect(await verifyFeishuSignature({ ...base, encryptKey: '', signature })).toBe(false)
  })

  it('agrees with the SDK EventDispatcher signature check', async () => {
    const payload = {
      encrypt: await encryptFeishu(KEY, JSON.stringify({ schema: '2.0', header: hdr(), event: {} })),
    }
    const raw = JSON.stringify(payload)
    const signature = await feishuSignature({ timestamp, nonce, encryptKey: KEY, rawBody: raw })
    let seen = 0
    const dispatcher = new lark.EventDispatcher({ encryptKey: KEY, logger: silent }).register({
      'im.message.receive_v1': async () => {
        seen++
        return 'ok'
      },
    })
    const headers = {
      'x-lark-request-timestamp': timestamp,
      'x-lark-request-nonce': nonce,
      'x-lark-signature': signature,
    }
    const data = Object.assign(Object.create({ headers }) as object, payload)
    expect(await dispatcher.invoke(data)).toBe('ok')
    const forged = Object.assign(
      Object.create({ headers: { ...headers, 'x-lark-signature': '0'.repeat(64) } }) as object,
      payload,
    )
    expect(await dispatcher.invoke(forged)).toBeUndefined()
    expect(seen).toBe(1)
  })
})

describe('timingSafeEqualStr', () => {
  it('compares by value and length', () => {
    expect(timingSafeEqualStr('abc', 'abc')).toBe(true)
    expect(timingSafeEqualStr('', '')).toBe(true)
    expect(timingSafeEqualStr('abc', 'abd')).toBe(false)
    expect(timingSafeEqualStr('abc', 'ab')).toBe(false)
    expect(timingSafeEqualStr('ab', 'abc')).toBe(false)
    expect(timingSafeEqualStr('a\u0000', 'a')).toBe(false)
    expect(timingSafeEqualStr('é', 'e')).toBe(false)
  })
})

describe('base64 helpers', () => {
  it('round-trip arbitrary bytes like Buffer does', () => {
    const bytes = randomBytes(70_001)
    const b64 = bytesToBase64(bytes)
    expect(b64).toBe(bytes.toString('base64'))
    expect(Buffer.from(base64ToBytes(b64)).equals(bytes)).toBe(true)
  })

  it('accepts exactly what the standard-base64 pattern accepts', () => {
    const pattern = /^[A-Za-z0-9+/]*={0,2}$/
    const alphabet = 'Az09+/=-_ .\n\t!é=='
    const texts = ['', '=', '==', '===', 'ab=', 'ab==', 'ab=c', 'a=b=', 'ab-_', 'ab cd', 'abcd\n', 'abcé']
    // Seeded: the same strings every run.
    let seed = 7
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed
    }
    for (let k = 0; k < 3000; k++) {
      let s = ''
      for (let j = next() % 9; j > 0; j--) s += alphabet[next() % alphabet.length]
      texts.push(s)
    }
    for (const s of texts) expect(isBase64Text(s), JSON.stringify(s)).toBe(pattern.test(s))
  })

  it('decodes with whitespace inside, refuses the url-safe alphabet and misplaced padding', () => {
    expect(new TextDecoder().decode(base64ToBytes('aGVs\nbG8g d29y\tbGQ='))).toBe('hello world')
    for (const bad of ['aGVsbG8-', 'aGVsbG8_', 'aGVs=bG8', 'aGVsbG8===', 'a', 'aGVsb'])
      expect(() => base64ToBytes(bad), bad).toThrow('not valid base64')
  })
})

function hdr() {
  return {
    event_id: 'ev_1',
    event_type: 'im.message.receive_v1',
    create_time: '1700000000000',
    token: 'vt',
    app_id: 'cli_0123456789abcdef',
    tenant_key: '736588c9260f175d',
  }
}

const silent = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  trace: () => undefined,
}
