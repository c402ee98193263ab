import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type Credentials, S3Refusal, sha256Hex, UNSIGNED_PAYLOAD, verifySigV4 } from './sigv4'

/**
 * A fake S3-compatible object store on loopback. A real HTTP server, so the real S3 driver (aws4fetch over
 * `fetch`) runs against it unchanged. Like S3 it refuses unsigned and badly signed requests
 * (SignatureDoesNotMatch, InvalidAccessKeyId, RequestTimeTooSkewed, expired presigned URLs), checks a signed
 * payload hash and Content-MD5, answers with S3's XML errors (NoSuchKey, NoSuchBucket, EntityTooLarge…) and
 * keeps objects in memory. Path-style (`/bucket/key`) and virtual-hosted (`bucket.host/key`) addressing.
 * Not covered: multipart upload, listing, ranges, versioning, ACLs.
 */

export const FAKE_S3_ACCESS_KEY_ID = 'AKIAFLOWCARDTEST0001'
export const FAKE_S3_SECRET_ACCESS_KEY = 'fake-s3-secret/0123456789abcdefghijklmnop'
export const FAKE_S3_REGION = 'cn-north-1'
export const FAKE_S3_BUCKET = 'flowcard-test'

export interface FakeS3Options {
  buckets?: string[]
  credentials?: Credentials[]
  region?: string
  /** Largest object a single PUT may carry (S3: 5 GiB). */
  maxObjectBytes?: number
  now?: () => Date
}

export interface StoredObject {
  data: Uint8Array
  contentType: string
  etag: string
  lastModified: Date
}

export interface RecordedRequest {
  method: string
  bucket: string | null
  key: string | null
  status: number
  code: string | null
  presigned: boolean
  payloadHash: string | null
}

const xmlEscape = (s: string): string =>
  s.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  )

export class FakeS3 {
  readonly buckets = new Map<string, Map<string, StoredObject>>()
  readonly requests: RecordedRequest[] = []
  private server: Server | null = null
  private readonly credentials: Credentials[]
  readonly region: string
  private readonly maxObjectBytes: number
  /** Replaceable clock (expiry and skew tests). */
  now: () => Date

  constructor(options: FakeS3Options = {}) {
    for (const b of options.buckets ?? [FAKE_S3_BUCKET]) this.buckets.set(b, new Map())
    this.credentials = options.credentials ?? [
      { accessKeyId: FAKE_S3_ACCESS_KEY_ID, secretAccessKey: FAKE_S3_SECRET_ACCESS_KEY },
    ]
    this.region = options.region ?? FAKE_S3_REGION
    this.maxObjectBytes = options.maxObjectBytes ?? 50 * 1024 * 1024
    this.now = options.now ?? (() => new Date())
  }

  /** `http://127.0.0.1:<port>` once started. */
  url = ''

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.error(res, req.method ?? 'GET', 500, 'InternalError', String(err), {})
      })
    })
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
    this.server = null
  }

  object(key: string, bucket = FAKE_S3_BUCKET): StoredObject | undefined {
    return this.buckets.get(bucket)?.get(key)
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase()
    const raw = req.url ?? '/'
    const q = raw.indexOf('?')
    const rawPath = q < 0 ? raw : raw.slice(0, q)
    const query = [...new URLSearchParams(q < 0 ? '' : raw.slice(q + 1))]
    const headers: Record<string, string | undefined> = {}
    for (const [name, value] of Object.entries(req.headers))
      headers[name] = Array.isArray(value) ? value.join(',') : value
    const body = await this.readBody(req)
    const record: RecordedRequest = {
      method,
      bucket: null,
      key: null,
      status: 0,
      code: null,
      presigned: false,
      payloadHash: null,
    }
    this.requests.push(record)
    const answer = (status: number, code: string | null) => {
      record.status = status
      record.code = code
    }
    try {
      const { bucket, key } = this.address(headers.host ?? '', rawPath)
      record.bucket = bucket
      record.key = key
      const verified = verifySigV4(
        { method, rawPath, query, headers },
        { credentials: this.credentials, region: this.region, now: this.now() },
      )
      record.presigned = verified.presigned
      record.payloadHash = verified.payloadHash
      if (body === 'too-large')
        throw new S3Refusal(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size')
      if (verified.payloadHash !== UNSIGNED_PAYLOAD && verified.payloadHash !== sha256Hex(body))
        throw new S3Refusal(
          400,
          'XAmzContentSHA256Mismatch',
          "The provided 'x-amz-content-sha256' header does not match what was computed.",
        )
      const objects = bucket ? this.buckets.get(bucket) : undefined
      if (!bucket || !objects)
        throw new S3Refusal(404, 'NoSuchBucket', 'The specified bucket does not exist', {
          BucketName: bucket ?? '',
        })
      if (!key)
        throw new S3Refusal(501, 'NotImplemented', 'Bucket operations are not implemented by the fake')
      if (verified.presigned && method !== 'GET' && method !== 'HEAD')
        throw new S3Refusal(403, 'AccessDenied', 'The fake only accepts presigned GET and HEAD')
      switch (method) {
        case 'PUT': {
          if (headers['content-length'] === undefined)
            throw new S3Refusal(
              411,
              'MissingContentLength',
              'You must provide the Content-Length HTTP header.',
            )
          const md5 = createHash('md5').update(body).digest()
          if (headers['content-md5'] !== undefined && headers['content-md5'] !== md5.toString('base64'))
            throw new S3Refusal(
              400,
              'BadDigest',
              'The Content-MD5 you specified did not match what we received.',
            )
          const etag = `"${md5.toString('hex')}"`
          objects.set(key, {
            data: new Uint8Array(body),
            contentType: headers['content-type'] ?? 'binary/octet-stream',
            etag,
            lastModified: this.now(),
          })
          answer(200, null)
          res.writeHead(200, { etag, 'x-amz-request-id': this.requestId(), 'content-length': '0' }).end()
          return
        }
        case 'GET':
        case 'HEAD': {
          const obj = objects.get(key)
          if (!obj) throw new S3Refusal(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key })
          answer(200, null)
          res.writeHead(200, {
            'content-type': obj.contentType,
            'content-length': String(obj.data.byteLength),
            etag: obj.etag,
            'last-modified': obj.lastModified.toUTCString(),
            'x-amz-request-id': this.requestId(),
          })
          res.end(method === 'GET' ? obj.data : undefined)
          return
        }
        case 'DELETE':
          objects.delete(key)
          answer(204, null)
          res.writeHead(204, { 'x-amz-request-id': this.requestId() }).end()
          return
        default:
          throw new S3Refusal(
            405,
            'MethodNotAllowed',
            'The specified method is not allowed against this resource.',
          )
      }
    } catch (err) {
      if (!(err instanceof S3Refusal)) throw err
      answer(err.status, err.code)
      this.error(res, method, err.status, err.code, err.message, { Resource: rawPath, ...err.extra })
    }
  }

  /** Virtual-hosted when the Host names a bucket, else path-style. Keys come back decoded. */
  private address(host: string, rawPath: string): { bucket: string | null; key: string | null } {
    const hostname = host.replace(/:\d+$/, '')
    const virtual = [...this.buckets.keys()].find((b) => hostname.startsWith(`${b}.`))
    const segments = rawPath.split('/').slice(1).map(decodeURIComponent)
    if (virtual) return { bucket: virtual, key: segments.join('/') || null }
    const [bucket, ...rest] = segments
    return { bucket: bucket || null, key: rest.join('/') || null }
  }

  private async readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
    const chunks: Buffer[] = []
    let size = 0
    let tooLarge = false
    for await (const chunk of req) {
      size += (chunk as Buffer).byteLength
      if (size > this.maxObjectBytes) tooLarge = true
      else chunks.push(chunk as Buffer)
    }
    return tooLarge ? 'too-large' : Buffer.concat(chunks)
  }

  private requestId(): string {
    return randomBytes(8).toString('hex').toUpperCase()
  }

  private error(
    res: ServerResponse,
    method: string,
    status: number,
    code: string,
    message: string,
    extra: Record<string, string>,
  ): void {
    if (res.headersSent) return void res.destroy()
    const requestId = this.requestId()
    // HEAD answers carry no body, as on S3.
    if (method === 'HEAD') return void res.writeHead(status, { 'x-amz-request-id': requestId }).end()
    const fields = Object.entries({ Code: code, Message: message, ...extra, RequestId: requestId })
      .map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`)
      .join('')
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${fields}</Error>`
    res
      .writeHead(status, {
        'content-type': 'application/xml',
        'content-length': String(Buffer.byteLength(xml)),
        'x-amz-request-id': requestId,
      })
      .end(xml)
  }
}

export async function startFakeS3(options: FakeS3Options = {}): Promise<FakeS3> {
  return new FakeS3(options).start()
}
