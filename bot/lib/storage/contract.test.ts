import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  FAKE_S3_ACCESS_KEY_ID,
  FAKE_S3_BUCKET,
  FAKE_S3_REGION,
  FAKE_S3_SECRET_ACCESS_KEY,
  type FakeS3,
  startFakeS3,
} from '../../../tests/fakes/s3'
import { createLocalStorage } from '../../entry/storage-local'
import { createS3Storage, type S3Config, S3Error, s3ConfigFromEnv } from './s3'
import { type BlobStorage, createMemoryStorage } from './types'

let s3: FakeS3
let dir: string
beforeAll(async () => {
  s3 = await startFakeS3()
  dir = await mkdtemp(join(tmpdir(), 'flowcard-blobs-'))
})
afterAll(async () => {
  await s3.stop()
  await rm(dir, { recursive: true, force: true })
})

const s3Config = (over: Partial<S3Config> = {}): S3Config => ({
  endpoint: s3.url,
  bucket: FAKE_S3_BUCKET,
  region: FAKE_S3_REGION,
  accessKeyId: FAKE_S3_ACCESS_KEY_ID,
  secretAccessKey: FAKE_S3_SECRET_ACCESS_KEY,
  forcePathStyle: true,
  retries: 0,
  ...over,
})

const drivers: Array<[string, () => BlobStorage]> = [
  ['memory', () => createMemoryStorage()],
  ['local', () => createLocalStorage(dir)],
  ['s3', () => createS3Storage(s3Config())],
]

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

describe.each(drivers)('BlobStorage contract: %s', (_name, make) => {
  const bytes = new Uint8Array(256 * 1024).map((_, i) => (i * 31) % 256)

  it('puts, gets, streams, heads and deletes an object', async () => {
    const storage = make()
    const key = 't_contract/visits/v1/pho_1.jpg'
    await storage.put(key, bytes, 'image/jpeg')
    expect(await storage.head(key)).toEqual({ contentType: 'image/jpeg', size: bytes.byteLength })
    const got = await storage.get(key)
    expect(got?.contentType).toBe('image/jpeg')
    expect(Buffer.from(got?.data ?? []).equals(Buffer.from(bytes))).toBe(true)
    const stream = await storage.getStream(key)
    expect(stream).toMatchObject({ contentType: 'image/jpeg', size: bytes.byteLength })
    expect(
      Buffer.from(await readAll(stream?.body as ReadableStream<Uint8Array>)).equals(Buffer.from(bytes)),
    ).toBe(true)
    await storage.delete(key)
    expect(await storage.get(key)).toBeNull()
    expect(await storage.getStream(key)).toBeNull()
    expect(await storage.head(key)).toBeNull()
    await storage.delete(key) // absent: not an error
  })

  it('overwrites an object with a new type', async () => {
    const storage = make()
    const key = 't_contract/visits/v1/pho_2.png'
    await storage.put(key, new Uint8Array([1, 2, 3]), 'image/png')
    await storage.put(key, new Uint8Array([4, 5]), 'image/webp')
    expect(await storage.head(key)).toEqual({ contentType: 'image/webp', size: 2 })
  })

  it.each(['../etc/passwd', 't/../../x', 'T_upper/x', 'tenant', 't/a b.jpg'])(
    'refuses the unsafe key %s',
    async (key) => {
      await expect(make().put(key, new Uint8Array([1]), 'image/png')).rejects.toThrow(/unsafe storage key/)
    },
  )
})

describe('S3 driver', () => {
  it('signs every request and uploads with the body hash in the signature', async () => {
    const storage = createS3Storage(s3Config())
    const before = s3.requests.length
    await storage.put('t_s3/visits/v2/pho_a.jpg', new Uint8Array([0xff, 0xd8, 0xff]), 'image/jpeg')
    const put = s3.requests.slice(before).find((r) => r.method === 'PUT')
    expect(put).toMatchObject({ status: 200, presigned: false, key: 't_s3/visits/v2/pho_a.jpg' })
    expect(put?.payloadHash).toMatch(/^[0-9a-f]{64}$/)
    expect(s3.object('t_s3/visits/v2/pho_a.jpg')?.contentType).toBe('image/jpeg')
  })

  it('surfaces S3 errors by code, without the secret in the message', async () => {
    const wrong = createS3Storage(s3Config({ secretAccessKey: 'wrong-secret-value' }))
    const err = await wrong.put('t_s3/x/y.jpg', new Uint8Array([1]), 'image/jpeg').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(S3Error)
    expect(err).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' })
    expect(String((err as Error).message)).not.toContain('wrong-secret-value')
    const noBucket = createS3Storage(s3Config({ bucket: 'missing-bucket' }))
    await expect(noBucket.get('t_s3/x/y.jpg')).rejects.toMatchObject({ code: 'NoSuchBucket', status: 404 })
    await expect(wrong.head('t_s3/x/y.jpg')).rejects.toMatchObject({ status: 403 })
  })

  it('makes presigned GET URLs that work without credentials until they expire', async () => {
    const storage = createS3Storage(s3Config())
    await storage.put('t_s3/visits/v3/pho_b.png', new Uint8Array([9, 8, 7]), 'image/png')
    const url = (await storage.presignGet?.('t_s3/visits/v3/pho_b.png', 300)) ?? ''
    expect(url).toContain('X-Amz-Signature=')
    expect(url).not.toContain(FAKE_S3_SECRET_ACCESS_KEY)
    const res = await fetch(url)
    expect(res.headers.get('content-type')).toBe('image/png')
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([9, 8, 7])
    const realNow = s3.now
    s3.now = () => new Date(Date.now() + 301_000)
    try {
      expect((await fetch(url)).status).toBe(403)
    } finally {
      s3.now = realNow
    }
    await expect(storage.presignGet?.('t_s3/visits/v3/pho_b.png', 8 * 24 * 3600)).rejects.toThrow(RangeError)
  })

  it('builds virtual-hosted URLs unless path style is forced', async () => {
    const storage = createS3Storage(
      s3Config({ endpoint: 'https://s3.cn-north-1.amazonaws.com.cn', forcePathStyle: false }),
    )
    const url = new URL((await storage.presignGet?.('t_s3/a/b.jpg', 60)) ?? '')
    expect(`${url.protocol}//${url.host}${url.pathname}`).toBe(
      `https://${FAKE_S3_BUCKET}.s3.cn-north-1.amazonaws.com.cn/t_s3/a/b.jpg`,
    )
    expect(url.searchParams.get('X-Amz-Credential')).toContain(`/${FAKE_S3_REGION}/s3/aws4_request`)
  })

  it('reads its settings from the environment group', () => {
    expect(
      s3ConfigFromEnv({
        S3_ENDPOINT: 'http://127.0.0.1:9000',
        S3_BUCKET: 'b1',
        S3_ACCESS_KEY_ID: 'k',
        S3_SECRET_ACCESS_KEY: 's',
        S3_FORCE_PATH_STYLE: 'true',
      }),
    ).toMatchObject({ region: 'us-east-1', forcePathStyle: true, bucket: 'b1' })
    expect(() => s3ConfigFromEnv({ S3_ENDPOINT: 'http://x' })).toThrow(/come together/)
  })
})
