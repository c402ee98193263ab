import { AwsClient } from 'aws4fetch'
import { assertSafeKey, type BlobStorage } from './types'

/** What the S3 driver needs; built from the `S3_*` variables by {@link s3ConfigFromEnv}. */
export interface S3Config {
  /** Base URL of the service: `https://s3.cn-north-1.amazonaws.com.cn`, `https://oss-cn-hangzhou.aliyuncs.com`, MinIO… */
  endpoint: string
  bucket: string
  region: string
  accessKeyId: string
  secretAccessKey: string
  /** `endpoint/bucket/key` (MinIO, most self-hosted stores) instead of `bucket.endpoint/key`. */
  forcePathStyle: boolean
  /** Retries on 5xx and 429 with jittered exponential backoff (aws4fetch's own loop). */
  retries?: number
  /** Per-request time limit. */
  timeoutMs?: number
}

/** An S3 error answer, parsed from its XML body: the code (`NoSuchKey`, `SignatureDoesNotMatch`…) and status. */
export class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null,
  ) {
    super(`S3 ${status} ${code}: ${message}`)
    this.name = 'S3Error'
  }
}

const MAX_PRESIGN_SECONDS = 7 * 24 * 3600

const xmlField = (xml: string, name: string): string | null => {
  const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)
  return m?.[1] ?? null
}

async function errorOf(res: Response, what: string): Promise<S3Error> {
  const text = res.body ? await res.text().catch(() => '') : ''
  const code = xmlField(text, 'Code') ?? (res.status === 404 ? 'NotFound' : `Http${res.status}`)
  const message = xmlField(text, 'Message') ?? res.statusText ?? what
  return new S3Error(res.status, code, `${what}: ${message}`, res.headers.get('x-amz-request-id'))
}

/** A missing key is an answer (null); a missing bucket or any other error is a fault. */
async function absentOrThrow(res: Response, what: string): Promise<null> {
  const err = await errorOf(res, what)
  if (err.code === 'NoSuchKey') return null
  throw err
}

const hex = (buf: ArrayBuffer): string =>
  Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('')

/**
 * Blobs in an S3-compatible bucket (AWS S3, Aliyun OSS, Tencent COS, Cloudflare R2, MinIO…). Requests are
 * signed with AWS Signature V4 by aws4fetch over the runtime's `fetch` and WebCrypto, so the driver runs on
 * Node and Workers alike. Uploads carry the SHA-256 of their body in the signature, so the store rejects a
 * body changed on the way.
 */
export function createS3Storage(config: S3Config): BlobStorage {
  const endpoint = new URL(config.endpoint)
  const client = new AwsClient({
    accessKeyId: config.accessKeyId,
    secretAccessKey: config.secretAccessKey,
    service: 's3',
    region: config.region,
    retries: config.retries ?? 3,
  })
  const timeoutMs = config.timeoutMs ?? 30_000
  const urlOf = (key: string): string => {
    assertSafeKey(key)
    const path = key.split('/').map(encodeURIComponent).join('/')
    const base = endpoint.pathname.replace(/\/+$/, '')
    if (config.forcePathStyle)
      return `${endpoint.protocol}//${endpoint.host}${base}/${encodeURIComponent(config.bucket)}/${path}`
    return `${endpoint.protocol}//${config.bucket}.${endpoint.host}${base}/${path}`
  }
  const send = (url: string, init: RequestInit): Promise<Response> =>
    client.fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) })
  const info = (res: Response) => ({
    contentType: res.headers.get('content-type') ?? 'application/octet-stream',
    size: Number(res.headers.get('content-length') ?? 0),
  })

  return {
    kind: 's3',
    async put(key, data, contentType) {
      const url = urlOf(key)
      const digest = await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>)
      const res = await send(url, {
        method: 'PUT',
        body: data as Uint8Array<ArrayBuffer>,
        headers: { 'content-type': contentType, 'x-amz-content-sha256': hex(digest) },
      })
      if (!res.ok) throw await errorOf(res, `put ${key}`)
      await res.body?.cancel()
    },
    async get(key) {
      const res = await send(urlOf(key), { method: 'GET' })
      if (!res.ok) return absentOrThrow(res, `get ${key}`)
      return { data: new Uint8Array(await res.arrayBuffer()), contentType: info(res).contentType }
    },
    async getStream(key) {
      const res = await send(urlOf(key), { method: 'GET' })
      if (!res.ok) return absentOrThrow(res, `get ${key}`)
      if (!res.body) throw new S3Error(res.status, 'EmptyBody', `get ${key}: no body`, null)
      return { body: res.body as ReadableStream<Uint8Array>, ...info(res) }
    },
    async head(key) {
      const res = await send(urlOf(key), { method: 'HEAD' })
      if (res.status === 404) return null
      // HEAD answers carry no body, so only the status says what went wrong.
      if (!res.ok) throw new S3Error(res.status, `Http${res.status}`, `head ${key}`, null)
      return info(res)
    },
    async delete(key) {
      const res = await send(urlOf(key), { method: 'DELETE' })
      if (!res.ok) await absentOrThrow(res, `delete ${key}`)
      else await res.body?.cancel()
    },
    async presignGet(key, expiresInSeconds) {
      if (
        !Number.isInteger(expiresInSeconds) ||
        expiresInSeconds < 1 ||
        expiresInSeconds > MAX_PRESIGN_SECONDS
      )
        throw new RangeError(`presigned URLs live 1 s to 7 days, not ${expiresInSeconds}`)
      const url = new URL(urlOf(key))
      url.searchParams.set('X-Amz-Expires', String(expiresInSeconds))
      const signed = await client.sign(url.toString(), { method: 'GET', aws: { signQuery: true } })
      return signed.url
    },
  }
}

/** The driver's settings from a parsed environment (`parseEnv` has checked that the group is complete). */
export function s3ConfigFromEnv(env: {
  S3_ENDPOINT?: string | undefined
  S3_BUCKET?: string | undefined
  S3_REGION?: string | undefined
  S3_ACCESS_KEY_ID?: string | undefined
  S3_SECRET_ACCESS_KEY?: string | undefined
  S3_FORCE_PATH_STYLE?: 'true' | 'false' | undefined
}): S3Config {
  if (!env.S3_ENDPOINT || !env.S3_BUCKET || !env.S3_ACCESS_KEY_ID || !env.S3_SECRET_ACCESS_KEY)
    throw new Error('S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY come together')
  return {
    endpoint: env.S3_ENDPOINT,
    bucket: env.S3_BUCKET,
    region: env.S3_REGION ?? 'us-east-1',
    accessKeyId: env.S3_ACCESS_KEY_ID,
    secretAccessKey: env.S3_SECRET_ACCESS_KEY,
    forcePathStyle: env.S3_FORCE_PATH_STYLE === 'true',
  }
}
