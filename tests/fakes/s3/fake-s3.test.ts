import { request } from 'node:http'
import { AwsClient } from 'aws4fetch'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  canonicalRequest,
  FAKE_S3_ACCESS_KEY_ID,
  FAKE_S3_BUCKET,
  FAKE_S3_REGION,
  FAKE_S3_SECRET_ACCESS_KEY,
  type FakeS3,
  S3Refusal,
  startFakeS3,
  verifySigV4,
} from './index'

const xmlCode = (xml: string): string | undefined => /<Code>([^<]*)<\/Code>/.exec(xml)?.[1]

describe('SigV4 verifier against the AWS documentation examples', () => {
  // "Example: GET Object" and "Example presigned URL" from the S3 API reference (Signature Version 4),
  // with their published signatures.
  const credentials = [
    { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
  ]
  const emptyHash = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
  const getObject = (signature: string) => ({
    method: 'GET',
    rawPath: '/test.txt',
    query: [] as Array<[string, string]>,
    headers: {
      host: 'examplebucket.s3.amazonaws.com',
      range: 'bytes=0-9',
      'x-amz-content-sha256': emptyHash,
      'x-amz-date': '20130524T000000Z',
      authorization: `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=${signature}`,
    },
  })
  const at = { credentials, region: 'us-east-1', now: new Date('2013-05-24T00:05:00Z') }

  it('accepts the documented GET Object signature and its canonical request', () => {
    const req = getObject('f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41')
    expect(canonicalRequest(req, ['host', 'range', 'x-amz-content-sha256', 'x-amz-date'], emptyHash)).toBe(
      [
        'GET',
        '/test.txt',
        '',
        'host:examplebucket.s3.amazonaws.com',
        'range:bytes=0-9',
        `x-amz-content-sha256:${emptyHash}`,
        'x-amz-date:20130524T000000Z',
        '',
        'host;range;x-amz-content-sha256;x-amz-date',
        emptyHash,
      ].join('\n'),
    )
    expect(verifySigV4(req, at)).toMatchObject({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', presigned: false })
  })

  it('refuses the same request with one signature digit changed', () => {
    const req = getObject('f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb42')
    expect(() => verifySigV4(req, at)).toThrow(expect.objectContaining({ code: 'SignatureDoesNotMatch' }))
  })

  it('accepts the documented presigned URL and refuses it once expired', () => {
    const query: Array<[string, string]> = [
      ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
      ['X-Amz-Credential', 'AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request'],
      ['X-Amz-Date', '20130524T000000Z'],
      ['X-Amz-Expires', '86400'],
      ['X-Amz-SignedHeaders', 'host'],
      ['X-Amz-Signature', 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404'],
    ]
    const req = {
      method: 'GET',
      rawPath: '/test.txt',
      query,
      headers: { host: 'examplebucket.s3.amazonaws.com' },
    }
    expect(verifySigV4(req, at)).toMatchObject({ presigned: true })
    expect(() => verifySigV4(req, { ...at, now: new Date('2013-05-25T00:00:01Z') })).toThrow(
      expect.objectContaining({ code: 'AccessDenied', message: 'Request has expired' }),
    )
  })
})

describe('fake S3 server', () => {
  let s3: FakeS3
  let client: AwsClient
  const objectUrl = (key: string, bucket = FAKE_S3_BUCKET) => `${s3.url}/${bucket}/${key}`

  beforeAll(async () => {
    s3 = await startFakeS3()
    client = new AwsClient({
      accessKeyId: FAKE_S3_ACCESS_KEY_ID,
      secretAccessKey: FAKE_S3_SECRET_ACCESS_KEY,
      service: 's3',
      region: FAKE_S3_REGION,
      retries: 0,
    })
  })
  afterAll(async () => s3.stop())

  it('stores, reads, heads and deletes an object signed by a real SigV4 client', async () => {
    const put = await client.fetch(objectUrl('t1/a/b.txt'), {
      method: 'PUT',
      body: '你好 S3',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    })
    expect(put.status).toBe(200)
    expect(put.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/)
    const get = await client.fetch(objectUrl('t1/a/b.txt'))
    expect(get.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(await get.text()).toBe('你好 S3')
    const head = await client.fetch(objectUrl('t1/a/b.txt'), { method: 'HEAD' })
    expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength('你好 S3')))
    expect((await client.fetch(objectUrl('t1/a/b.txt'), { method: 'DELETE' })).status).toBe(204)
    const gone = await client.fetch(objectUrl('t1/a/b.txt'))
    expect(gone.status).toBe(404)
    expect(xmlCode(await gone.text())).toBe('NoSuchKey')
  })

  it('refuses an unsigned request with 403 AccessDenied', async () => {
    const res = await fetch(objectUrl('t1/x.txt'))
    expect(res.status).toBe(403)
    expect(res.headers.get('content-type')).toBe('application/xml')
    expect(xmlCode(await res.text())).toBe('AccessDenied')
  })

  it('refuses a wrong secret with SignatureDoesNotMatch and nothing stored', async () => {
    const wrong = new AwsClient({
      accessKeyId: FAKE_S3_ACCESS_KEY_ID,
      secretAccessKey: 'not-the-secret',
      service: 's3',
      region: FAKE_S3_REGION,
      retries: 0,
    })
    const res = await wrong.fetch(objectUrl('t1/bad.txt'), { method: 'PUT', body: 'x' })
    expect(res.status).toBe(403)
    expect(xmlCode(await res.text())).toBe('SignatureDoesNotMatch')
    expect(s3.object('t1/bad.txt')).toBeUndefined()
  })

  it('refuses a signed request whose path was changed after signing', async () => {
    const signed = await client.sign(objectUrl('t1/one.txt'), { method: 'GET' })
    const res = await fetch(objectUrl('t1/two.txt'), { headers: signed.headers })
    expect(res.status).toBe(403)
    expect(xmlCode(await res.text())).toBe('SignatureDoesNotMatch')
  })

  it('refuses an unknown access key, a wrong region and a skewed clock', async () => {
    const other = (opts: { accessKeyId?: string; region?: string }) =>
      new AwsClient({
        accessKeyId: opts.accessKeyId ?? FAKE_S3_ACCESS_KEY_ID,
        secretAccessKey: FAKE_S3_SECRET_ACCESS_KEY,
        service: 's3',
        region: opts.region ?? FAKE_S3_REGION,
        retries: 0,
      })
    const unknown = await other({ accessKeyId: 'AKIANOBODY' }).fetch(objectUrl('t1/x'))
    expect([unknown.status, xmlCode(await unknown.text())]).toEqual([403, 'InvalidAccessKeyId'])
    const region = await other({ region: 'us-west-2' }).fetch(objectUrl('t1/x'))
    expect([region.status, xmlCode(await region.text())]).toEqual([400, 'AuthorizationHeaderMalformed'])
    const old = new Date(Date.now() - 20 * 60_000).toISOString().replace(/[:-]|\.\d{3}/g, '')
    const skewed = await client.fetch(objectUrl('t1/x'), { aws: { datetime: old } })
    expect([skewed.status, xmlCode(await skewed.text())]).toEqual([403, 'RequestTimeTooSkewed'])
  })

  it('checks a signed payload hash and Content-MD5 against the body', async () => {
    const signed = await client.sign(objectUrl('t1/p.txt'), {
      method: 'PUT',
      body: 'original',
      headers: { 'x-amz-content-sha256': '0'.repeat(64) },
    })
    const res = await fetch(signed)
    expect([res.status, xmlCode(await res.text())]).toEqual([400, 'XAmzContentSHA256Mismatch'])
    const md5 = await client.fetch(objectUrl('t1/p.txt'), {
      method: 'PUT',
      body: 'original',
      headers: { 'content-md5': Buffer.from('0'.repeat(16)).toString('base64') },
    })
    expect([md5.status, xmlCode(await md5.text())]).toEqual([400, 'BadDigest'])
    expect(s3.object('t1/p.txt')).toBeUndefined()
  })

  it('answers NoSuchBucket for an unknown bucket and no body on a failed HEAD', async () => {
    const res = await client.fetch(objectUrl('t1/x', 'no-such-bucket'))
    expect([res.status, xmlCode(await res.text())]).toEqual([404, 'NoSuchBucket'])
    const head = await client.fetch(objectUrl('t1/none'), { method: 'HEAD' })
    expect(head.status).toBe(404)
    expect(await head.text()).toBe('')
  })

  it('serves a presigned GET until it expires, and only for the signed key', async () => {
    await client.fetch(objectUrl('t1/pre.txt'), { method: 'PUT', body: 'presigned' })
    const url = new URL(objectUrl('t1/pre.txt'))
    url.searchParams.set('X-Amz-Expires', '60')
    const signed = (await client.sign(url.toString(), { method: 'GET', aws: { signQuery: true } })).url
    expect(await (await fetch(signed)).text()).toBe('presigned')
    const tampered = signed.replace('pre.txt', 'other.txt')
    expect(xmlCode(await (await fetch(tampered)).text())).toBe('SignatureDoesNotMatch')
    const realNow = s3.now
    s3.now = () => new Date(Date.now() + 61_000)
    try {
      const expired = await fetch(signed)
      expect(expired.status).toBe(403)
      expect(await expired.text()).toContain('Request has expired')
    } finally {
      s3.now = realNow
    }
  })

  it('addresses a bucket by Host (virtual-hosted style)', async () => {
    const host = `${FAKE_S3_BUCKET}.s3.example.test`
    const signed = await client.sign(`http://${host}/t1/v.txt`, { method: 'PUT', body: 'virtual' })
    const port = new URL(s3.url).port
    const status = await new Promise<number>((resolve, reject) => {
      const headers: Record<string, string> = { host, 'content-length': '7' }
      signed.headers.forEach((v, k) => {
        headers[k] = v
      })
      const req = request({ host: '127.0.0.1', port, path: '/t1/v.txt', method: 'PUT', headers }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      req.end('virtual')
    })
    expect(status).toBe(200)
    expect(Buffer.from(s3.object('t1/v.txt')?.data ?? []).toString()).toBe('virtual')
  })

  it('throws S3Refusal from the verifier for a malformed Authorization header', () => {
    expect(() =>
      verifySigV4(
        { method: 'GET', rawPath: '/b/k', query: [], headers: { host: 'h', authorization: 'Bearer x' } },
        { credentials: [], region: FAKE_S3_REGION, now: new Date() },
      ),
    ).toThrow(S3Refusal)
  })
})
