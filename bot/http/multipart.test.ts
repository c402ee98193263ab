import { describe, expect, it } from 'vitest'
import { multipartBoundary, parseMultipart } from './multipart'

/** A body as a client encodes it (undici's FormData serialisation, as fetch sends it). */
async function encode(form: FormData): Promise<{ body: Uint8Array; boundary: string }> {
  const req = new Request('http://x/', { method: 'POST', body: form })
  const boundary = multipartBoundary(req.headers.get('content-type') ?? undefined)
  if (!boundary) throw new Error('no boundary')
  return { body: new Uint8Array(await req.arrayBuffer()), boundary }
}

const text = (s: string) => new TextEncoder().encode(s)

describe('parseMultipart', () => {
  it('reads the text fields and the files a client sends, byte for byte', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 13, 10, 45, 45, 0, 255])
    const f = new FormData()
    f.set('name', '王 先生')
    f.set('subject', '设备异响\r\n第二行')
    f.append('photos', new File([png], '现场 "1".png', { type: 'image/png' }))
    f.append('photos', new File([new Uint8Array(0)], ''))
    f.append('photos', new File([text('--x')], 'b.jpg'))
    f.append('tag', 'a')
    f.append('tag', 'b')
    const { body, boundary } = await encode(f)
    const out = parseMultipart(body, boundary)
    expect(out?.fields.get('name')).toEqual(['王 先生'])
    expect(out?.fields.get('subject')).toEqual(['设备异响\r\n第二行'])
    expect(out?.fields.get('tag')).toEqual(['a', 'b'])
    const photos = out?.files.get('photos') ?? []
    expect(photos.map((p) => [p.filename, p.contentType, [...p.data]])).toEqual([
      ['现场 "1".png', 'image/png', [...png]],
      ['', 'application/octet-stream', []],
      ['b.jpg', 'application/octet-stream', [...text('--x')]],
    ])
  })

  it('answers null for a body that is not well formed', async () => {
    const f = new FormData()
    f.set('name', 'a')
    const { body, boundary } = await encode(f)
    const whole = new TextDecoder().decode(body)
    expect(parseMultipart(body, 'other-boundary')).toBeNull()
    // Cut before the closing delimiter.
    expect(parseMultipart(body.subarray(0, body.length - 10), boundary)).toBeNull()
    // A part without its disposition, or not form-data.
    expect(parseMultipart(text(whole.replace('Content-Disposition', 'X-Other')), boundary)).toBeNull()
    expect(parseMultipart(text(whole.replace('form-data;', 'attachment;')), boundary)).toBeNull()
    // No header block end.
    expect(
      parseMultipart(text(`--${boundary}\r\nContent-Disposition: form-data; name="a"`), boundary),
    ).toBeNull()
    expect(parseMultipart(new Uint8Array(0), boundary)).toBeNull()
  })

  it('accepts a preamble and an unquoted name', () => {
    const b = 'XyZ'
    const out = parseMultipart(
      text(`ignored\r\n--${b}\r\nContent-Disposition: form-data; name=phone\r\n\r\n139\r\n--${b}--\r\n`),
      b,
    )
    expect(out?.fields.get('phone')).toEqual(['139'])
  })
})

describe('multipartBoundary', () => {
  it('takes the boundary of multipart/form-data only', () => {
    expect(multipartBoundary('multipart/form-data; boundary=abc')).toBe('abc')
    expect(multipartBoundary('Multipart/Form-Data; charset=utf-8; boundary="a b"')).toBe('a b')
    expect(multipartBoundary('multipart/mixed; boundary=abc')).toBeNull()
    expect(multipartBoundary('application/x-www-form-urlencoded')).toBeNull()
    expect(multipartBoundary('multipart/form-data')).toBeNull()
    expect(multipartBoundary(undefined)).toBeNull()
  })
})
