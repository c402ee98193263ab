import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

/**
 * AWS Signature Version 4 as S3 checks it, written from the AWS specification independently of the
 * client library under test (aws4fetch), so that a signing bug on either side shows up as a failure.
 * Covers the Authorization header and presigned (query-string) forms.
 */

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD'
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex')

export interface SigV4Request {
  method: string
  /** Path exactly as received (still percent-encoded), without the query. */
  rawPath: string
  /** Query pairs as received, decoded. */
  query: Array<[string, string]>
  /** Header names lower-case. */
  headers: Record<string, string | undefined>
}

export interface Credentials {
  accessKeyId: string
  secretAccessKey: string
}

/** Why a request was refused, in S3's own words. */
export class S3Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, string> = {},
  ) {
    super(message)
  }
}

/** RFC 3986 unreserved characters stay; everything else is %XX upper-case (UTF-8). */
export function uriEncode(value: string, keepSlash = false): string {
  let out = ''
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte)
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === '/')) out += c
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/** S3 canonical URI: each path segment decoded once and encoded once (S3 does not double-encode). */
export function canonicalUri(rawPath: string): string {
  return rawPath
    .split('/')
    .map((segment) => uriEncode(decodeURIComponent(segment)))
    .join('/')
}

export function canonicalQuery(query: Array<[string, string]>): string {
  return query
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([k1, v1], [k2, v2]) => (k1 < k2 ? -1 : k1 > k2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&')
}

export function canonicalRequest(
  req: SigV4Request,
  signedHeaders: string[],
  payloadHash: string,
  query: Array<[string, string]> = req.query,
): string {
  const headerLines = signedHeaders.map((name) => {
    const value = req.headers[name]
    if (value === undefined)
      throw new S3Refusal(
        403,
        'AccessDenied',
        `There were headers present in the request which were not signed`,
      )
    return `${name}:${value.trim().replace(/\s+/g, ' ')}\n`
  })
  return [
    req.method.toUpperCase(),
    canonicalUri(req.rawPath),
    canonicalQuery(query),
    headerLines.join(''),
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n')
}

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secret}`).update(date).digest()
  const kRegion = createHmac('sha256', kDate).update(region).digest()
  const kService = createHmac('sha256', kRegion).update(service).digest()
  return createHmac('sha256', kService).update('aws4_request').digest()
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n')
}

const AMZ_DATE = /^(\d{8})T\d{6}Z$/

function parseAmzDate(value: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value)
  if (!m)
    throw new S3Refusal(403, 'AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header')
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number, number]
  return new Date(Date.UTC(y, mo - 1, d, h, mi, se))
}

export interface VerifyOptions {
  credentials: Credentials[]
  region: string
  now: Date
  /** How far a header-signed request's time may be from the server's (S3: 15 minutes). */
  maxSkewMs?: number
}

export interface Verified {
  accessKeyId: string
  /** The payload hash the client signed: a hex digest the server must check, or UNSIGNED-PAYLOAD. */
  payloadHash: string
  presigned: boolean
}

/**
 * Verifies a request's SigV4 signature the way S3 does and throws an {@link S3Refusal} with S3's error
 * code on any problem. Anonymous requests are refused (the fake's buckets are private).
 */
export function verifySigV4(req: SigV4Request, options: VerifyOptions): Verified {
  const auth = req.headers.authorization
  const q = new Map(req.query)
  if (auth !== undefined) return verifyHeader(req, auth, options)
  if (q.has('X-Amz-Signature') || q.has('X-Amz-Algorithm')) return verifyQuery(req, q, options)
  throw new S3Refusal(403, 'AccessDenied', 'Access Denied')
}

function credentialOf(scope: string, options: VerifyOptions) {
  const parts = scope.split('/')
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || parts[3] !== 's3')
    throw new S3Refusal(
      400,
      'AuthorizationHeaderMalformed',
      `The authorization header is malformed; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`,
    )
  const [accessKeyId, date, region] = parts as [string, string, string, string, string]
  const cred = options.credentials.find((c) => c.accessKeyId === accessKeyId)
  if (!cred)
    throw new S3Refusal(
      403,
      'InvalidAccessKeyId',
      'The AWS Access Key Id you provided does not exist in our records.',
      {
        AWSAccessKeyId: accessKeyId,
      },
    )
  if (region !== options.region)
    throw new S3Refusal(
      400,
      'AuthorizationHeaderMalformed',
      `The authorization header is malformed; the region '${region}' is wrong; expecting '${options.region}'`,
      {
        Region: options.region,
      },
    )
  return { cred, date, region, scope: parts.slice(1).join('/') }
}

function compare(
  expected: string,
  given: string,
  canonical: string,
  toSign: string,
  accessKeyId: string,
): void {
  const a = Buffer.from(expected, 'utf8')
  const b = Buffer.from(given, 'utf8')
  if (a.length !== b.length || !timingSafeEqual(a, b))
    throw new S3Refusal(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      {
        AWSAccessKeyId: accessKeyId,
        StringToSign: toSign,
        CanonicalRequest: canonical,
      },
    )
}

function verifyHeader(req: SigV4Request, auth: string, options: VerifyOptions): Verified {
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(
      auth.trim(),
    )
  if (!m)
    throw new S3Refusal(
      400,
      'AuthorizationHeaderMalformed',
      'The authorization header is malformed; it must be AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…',
    )
  const [, credential, signedList, signature] = m as unknown as [string, string, string, string]
  const { cred, date, scope } = credentialOf(credential, options)
  const amzDate = req.headers['x-amz-date']
  if (!amzDate || !AMZ_DATE.test(amzDate))
    throw new S3Refusal(403, 'AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header')
  if (amzDate.slice(0, 8) !== date)
    throw new S3Refusal(
      400,
      'AuthorizationHeaderMalformed',
      `The authorization header is malformed; Invalid credential date "${date}". This date is not the same as X-Amz-Date: "${amzDate.slice(0, 8)}".`,
    )
  const skew = Math.abs(options.now.getTime() - parseAmzDate(amzDate).getTime())
  if (skew > (options.maxSkewMs ?? 15 * 60_000))
    throw new S3Refusal(
      403,
      'RequestTimeTooSkewed',
      'The difference between the request time and the current time is too large.',
      {
        RequestTime: amzDate,
        ServerTime: options.now.toISOString(),
      },
    )
  const payloadHash = req.headers['x-amz-content-sha256']
  if (payloadHash === undefined)
    throw new S3Refusal(
      400,
      'InvalidRequest',
      'Missing required header for this request: x-amz-content-sha256',
    )
  if (payloadHash !== UNSIGNED_PAYLOAD && !/^[0-9a-f]{64}$/.test(payloadHash))
    throw new S3Refusal(
      400,
      'InvalidArgument',
      'x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value.',
    )
  const signedHeaders = signedList.split(';')
  for (const required of ['host', 'x-amz-date', 'x-amz-content-sha256'])
    if (!signedHeaders.includes(required))
      throw new S3Refusal(403, 'AccessDenied', `${required} must be a signed header`)
  if ([...signedHeaders].sort().join(';') !== signedList)
    throw new S3Refusal(403, 'SignatureDoesNotMatch', 'SignedHeaders must be sorted')
  const canonical = canonicalRequest(req, signedHeaders, payloadHash)
  const toSign = stringToSign(amzDate, scope, canonical)
  const expected = createHmac('sha256', signingKey(cred.secretAccessKey, date, options.region, 's3'))
    .update(toSign)
    .digest('hex')
  compare(expected, signature, canonical, toSign, cred.accessKeyId)
  return { accessKeyId: cred.accessKeyId, payloadHash, presigned: false }
}

function verifyQuery(req: SigV4Request, q: Map<string, string>, options: VerifyOptions): Verified {
  const need = (name: string): string => {
    const v = q.get(name)
    if (v === undefined)
      throw new S3Refusal(
        400,
        'AuthorizationQueryParametersError',
        `Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.`,
      )
    return v
  }
  if (need('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256')
    throw new S3Refusal(
      400,
      'AuthorizationQueryParametersError',
      'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"',
    )
  const { cred, date, scope } = credentialOf(need('X-Amz-Credential'), options)
  const amzDate = need('X-Amz-Date')
  if (!AMZ_DATE.test(amzDate) || amzDate.slice(0, 8) !== date)
    throw new S3Refusal(
      400,
      'AuthorizationQueryParametersError',
      "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\" and match the credential date",
    )
  const expires = Number(need('X-Amz-Expires'))
  if (!Number.isInteger(expires) || expires < 1 || expires > 604800)
    throw new S3Refusal(
      400,
      'AuthorizationQueryParametersError',
      'X-Amz-Expires must be less than a week (in seconds) that is 604800',
    )
  const signedAt = parseAmzDate(amzDate).getTime()
  if (options.now.getTime() > signedAt + expires * 1000)
    throw new S3Refusal(403, 'AccessDenied', 'Request has expired', {
      Expires: new Date(signedAt + expires * 1000).toISOString(),
      ServerTime: options.now.toISOString(),
    })
  if (options.now.getTime() < signedAt - 15 * 60_000)
    throw new S3Refusal(403, 'AccessDenied', 'Request is not valid yet')
  const signedHeaders = need('X-Amz-SignedHeaders').split(';')
  if (!signedHeaders.includes('host'))
    throw new S3Refusal(403, 'AccessDenied', 'host must be a signed header')
  const signature = need('X-Amz-Signature')
  const query = req.query.filter(([k]) => k !== 'X-Amz-Signature')
  const canonical = canonicalRequest(req, signedHeaders, UNSIGNED_PAYLOAD, query)
  const toSign = stringToSign(amzDate, scope, canonical)
  const expected = createHmac('sha256', signingKey(cred.secretAccessKey, date, options.region, 's3'))
    .update(toSign)
    .digest('hex')
  compare(expected, signature, canonical, toSign, cred.accessKeyId)
  return { accessKeyId: cred.accessKeyId, payloadHash: UNSIGNED_PAYLOAD, presigned: true }
}

/** SHA-256 hex of a body (checked against a signed x-amz-content-sha256). */
export const sha256Hex = (body: Uint8Array): string =>
  body.byteLength === 0 ? EMPTY_SHA256 : createHash('sha256').update(body).digest('hex')
