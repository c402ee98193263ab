import type { IncomingMessage } from 'node:http'

/** Helpers for the fake's HTTP layer: body reading, multipart parsing, path patterns. */

export const MAX_BODY_BYTES = 64 * 1024 * 1024

/** Reads the whole request body (refusing absurd sizes so a runaway test cannot exhaust memory). */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'))
        req.destroy()
        return
      }
      chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

/** One part of a multipart/form-data body. */
export interface MultipartPart {
  name: string
  filename?: string
  contentType?: string
  data: Buffer
}

/** Parses multipart/form-data (enough for axios/form-data uploads from the SDK); undefined if malformed. */
export function parseMultipart(body: Buffer, contentType: string): MultipartPart[] | undefined {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType)
  const boundary = m?.[1] ?? m?.[2]
  if (!boundary) return undefined
  const delimiter = Buffer.from(`--${boundary}`)
  const parts: MultipartPart[] = []
  let pos = body.indexOf(delimiter)
  if (pos < 0) return undefined
  while (pos >= 0) {
    pos += delimiter.length
    if (body.subarray(pos, pos + 2).toString() === '--') break
    if (body.subarray(pos, pos + 2).toString() === '\r\n') pos += 2
    const headerEnd = body.indexOf('\r\n\r\n', pos)
    if (headerEnd < 0) return undefined
    const headerText = body.subarray(pos, headerEnd).toString('utf8')
    const next = body.indexOf(delimiter, headerEnd + 4)
    if (next < 0) return undefined
    // The part body ends with the CRLF that precedes the next delimiter.
    const data = body.subarray(headerEnd + 4, next - 2)
    const disposition = /content-disposition:([^\r\n]*)/i.exec(headerText)?.[1] ?? ''
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1]
    if (name === undefined) return undefined
    const part: MultipartPart = { name, data }
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1]
    if (filename !== undefined) part.filename = filename
    const ct = /content-type:\s*([^\r\n]*)/i.exec(headerText)?.[1]
    if (ct) part.contentType = ct.trim()
    parts.push(part)
    pos = next
  }
  return parts
}

/** A compiled `/open-apis/im/v1/messages/:message_id` style pattern. */
export interface PathPattern {
  source: string
  match(path: string): Record<string, string> | undefined
}

/** Compiles a path pattern with `:param` segments (matching one non-empty segment each). */
export function compilePath(source: string): PathPattern {
  const segs = source.split('/')
  return {
    source,
    match(path: string) {
      const parts = path.split('/')
      if (parts.length !== segs.length) return undefined
      const params: Record<string, string> = {}
      for (let i = 0; i < segs.length; i++) {
        const s = segs[i] ?? ''
        const p = parts[i] ?? ''
        if (s.startsWith(':')) {
          if (p === '') return undefined
          params[s.slice(1)] = decodeURIComponent(p)
        } else if (s !== p) {
          return undefined
        }
      }
      return params
    },
  }
}

/** True when `path` matches a string pattern (exact or with `:param` segments) or a RegExp. */
export function pathMatches(pattern: string | RegExp, path: string): boolean {
  if (pattern instanceof RegExp) return pattern.test(path)
  return compilePath(pattern).match(path) !== undefined
}
