/**
 * A `multipart/form-data` body read straight from its bytes: the text fields and the files by field name.
 * The public service form posts a few short fields and up to three photos; going through the web `Request`'s
 * `formData()` (hono's `parseBody`) copied the body into a `Response`, a stream and a `Blob`/`File` per part,
 * which cost more CPU than the rest of the intake. Here every part is a view into the one body buffer.
 */
export interface MultipartBody {
  /** Text parts (no `filename`), every value in the order sent. */
  fields: Map<string, string[]>
  /** File parts (a `filename`, or a type other than `text/plain`; empty ones included), in the order sent. */
  files: Map<string, Array<{ filename: string; contentType: string | null; data: Uint8Array }>>
}

const CRLF_CRLF = Buffer.from('\r\n\r\n')
const utf8 = new TextDecoder('utf-8')

/** The boundary named by a `Content-Type` header, or null when it is not `multipart/form-data` with one. */
export function multipartBoundary(contentType: string | undefined): string | null {
  if (!contentType || !/^\s*multipart\/form-data\s*;/i.test(contentType)) return null
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType)
  return m?.[1] ?? m?.[2] ?? null
}

const PARAMS = {
  name: /;\s*name="((?:[^"\\]|\\.)*)"|;\s*name=([^;\s"]+)/i,
  filename: /;\s*filename="((?:[^"\\]|\\.)*)"|;\s*filename=([^;\s"]+)/i,
}

/** A `Content-Disposition` parameter's value (quoted, with the `\"` and `%22` escapes browsers send). */
function param(disposition: string, key: keyof typeof PARAMS): string | null {
  const m = PARAMS[key].exec(disposition)
  if (!m) return null
  if (m[2] !== undefined) return m[2]
  return (m[1] ?? '')
    .replace(/\\(.)/g, '$1')
    .replace(/%22/g, '"')
    .replace(/%0D/gi, '\r')
    .replace(/%0A/gi, '\n')
}

/**
 * Parses `body` by `boundary` (RFC 7578). Null when the body is not well formed: no opening delimiter, a
 * part without its header block or `Content-Disposition: form-data; name=…`, or no closing delimiter.
 */
export function parseMultipart(body: Uint8Array, boundary: string): MultipartBody | null {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  const delimiter = Buffer.from(`\r\n--${boundary}`)
  const out: MultipartBody = { fields: new Map(), files: new Map() }
  // The first delimiter may open the body (no preamble) or follow a preamble line.
  let at = buf.subarray(0, delimiter.length - 2).equals(delimiter.subarray(2))
    ? delimiter.length - 2
    : (() => {
        const i = buf.indexOf(delimiter)
        return i < 0 ? -1 : i + delimiter.length
      })()
  if (at < 0) return null
  for (;;) {
    // After a delimiter: `--` closes the body, CRLF opens a part.
    if (buf[at] === 0x2d && buf[at + 1] === 0x2d) return out
    if (buf[at] !== 0x0d || buf[at + 1] !== 0x0a) return null
    const headStart = at + 2
    const headEnd = buf.indexOf(CRLF_CRLF, headStart)
    if (headEnd < 0) return null
    let disposition: string | null = null
    let contentType: string | null = null
    for (const line of utf8.decode(buf.subarray(headStart, headEnd)).split('\r\n')) {
      const colon = line.indexOf(':')
      if (colon < 0) return null
      const key = line.slice(0, colon).trim().toLowerCase()
      if (key === 'content-disposition') disposition = line.slice(colon + 1).trim()
      else if (key === 'content-type') contentType = line.slice(colon + 1).trim()
    }
    if (!disposition || !/^form-data\s*(;|$)/i.test(disposition)) return null
    const name = param(disposition, 'name')
    if (name === null) return null
    const dataStart = headEnd + 4
    const dataEnd = buf.indexOf(delimiter, dataStart)
    if (dataEnd < 0) return null
    const data = buf.subarray(dataStart, dataEnd)
    // A file part has a filename, or at least a type other than text (a nameless file is sent without one).
    const filename =
      param(disposition, 'filename') ??
      (contentType && !/^text\/plain\s*(;|$)/i.test(contentType) ? '' : null)
    if (filename === null) {
      const list = out.fields.get(name) ?? []
      list.push(utf8.decode(data))
      out.fields.set(name, list)
    } else {
      const list = out.files.get(name) ?? []
      list.push({ filename, contentType, data })
      out.files.set(name, list)
    }
    at = dataEnd + delimiter.length
  }
}
