import { InvalidInputError } from '../../errors'
import { ZIP_LIMITS, type ZipEntry, zipEntries } from './zip-guard'

/**
 * A streaming reader of the first worksheet of an XLSX file, for imports. Nothing is trusted: each part is
 * inflated through `DecompressionStream` while the bytes *actually* produced are counted against the
 * archive's budget (total and per-part ratio), whatever the zip directory declares, and the sheet is
 * tokenised row by row as it inflates, stopping at `maxRows` data rows. Memory is bounded by the budget
 * (in practice by the shared strings, which a sheet refers to by index), and a crafted file costs at most
 * the time to inflate that budget. Cells come out as text: shared and inline strings, numbers as written,
 * booleans as TRUE/FALSE, formula results as cached.
 */

export interface XlsxRead {
  headers: string[]
  rows: string[][]
  /** True when the sheet has more than `maxRows` data rows (reading stopped there). */
  truncated: boolean
}

const bad = (why: string) => new InvalidInputError('file', `not an acceptable XLSX file: ${why}`)
const unreadable = () => new InvalidInputError('file', 'not a readable XLSX file')

/** A single row (or shared string) longer than this is a crafted file. */
const MAX_ELEMENT_CHARS = 4 * 1024 * 1024

interface Budget {
  left: number
}

/** Inflates one part, yielding text chunks, counting real output against the budget and the ratio. */
async function* inflateText(data: Uint8Array, entry: ZipEntry, budget: Budget): AsyncGenerator<string> {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const at = entry.localOffset
  if (at + 30 > data.byteLength || view.getUint32(at, true) !== 0x04034b50) throw bad('broken zip entry')
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true)
  if (start + entry.compressedSize > data.byteLength) throw bad('broken zip entry')
  const raw = data.subarray(start, start + entry.compressedSize)
  const decoder = new TextDecoder('utf-8')
  if (entry.method === 0) {
    if (raw.byteLength > budget.left)
      throw bad(`more than ${mb(ZIP_LIMITS.maxUncompressedBytes)} MB uncompressed`)
    budget.left -= raw.byteLength
    yield decoder.decode(raw)
    return
  }
  if (entry.method !== 8) throw bad('unsupported compression')
  const maxForPart = Math.max(ZIP_LIMITS.maxRatio * Math.max(entry.compressedSize, 1), 1024 * 1024)
  let produced = 0
  const reader = new Blob([raw as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new DecompressionStream('deflate-raw'))
    .getReader()
  try {
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>
      try {
        next = await reader.read()
      } catch {
        throw unreadable()
      }
      if (next.done) break
      produced += next.value.byteLength
      budget.left -= next.value.byteLength
      if (budget.left < 0) throw bad(`more than ${mb(ZIP_LIMITS.maxUncompressedBytes)} MB uncompressed`)
      if (produced > maxForPart) throw bad(`compression ratio above ${ZIP_LIMITS.maxRatio}:1`)
      yield decoder.decode(next.value, { stream: true })
    }
  } finally {
    await reader.cancel().catch(() => {})
  }
  const tail = decoder.decode()
  if (tail) yield tail
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024)

/**
 * Yields the complete `<tag …>…</tag>` elements (and self-closing `<tag …/>`) of a streamed XML text,
 * holding at most one element plus one chunk in memory.
 */
async function* elements(chunks: AsyncIterable<string>, tag: string): AsyncGenerator<string> {
  const open = `<${tag}`
  const close = `</${tag}>`
  let buf = ''
  for await (const chunk of chunks) {
    buf += chunk
    let pos = 0
    for (;;) {
      const i = buf.indexOf(open, pos)
      if (i < 0) {
        pos = Math.max(pos, buf.length - open.length)
        break
      }
      const after = buf[i + open.length]
      if (after === undefined) {
        pos = i
        break
      }
      if (
        after !== ' ' &&
        after !== '>' &&
        after !== '/' &&
        after !== '\n' &&
        after !== '\r' &&
        after !== '\t'
      ) {
        pos = i + open.length
        continue
      }
      const tagEnd = buf.indexOf('>', i)
      if (tagEnd < 0) {
        pos = i
        break
      }
      if (buf[tagEnd - 1] === '/') {
        yield buf.slice(i, tagEnd + 1)
        pos = tagEnd + 1
        continue
      }
      const end = buf.indexOf(close, tagEnd)
      if (end < 0) {
        pos = i
        break
      }
      yield buf.slice(i, end + close.length)
      pos = end + close.length
    }
    buf = buf.slice(pos)
    if (buf.length > MAX_ELEMENT_CHARS) throw bad(`a <${tag}> element above ${mb(MAX_ELEMENT_CHARS)} MB`)
  }
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

function unescapeXml(s: string): string {
  return s
    .replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_, e: string) => {
      if (e[0] !== '#') return ENTITIES[e] ?? ''
      const code = e[1] === 'x' ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10)
      return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff)
        ? String.fromCodePoint(code)
        : ''
    })
    .replace(/_x([0-9A-Fa-f]{4})_/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)))
}

/** The text of a shared or inline string: its `<t>` runs, phonetic guides left out. */
function stringText(xml: string): string {
  let out = ''
  for (const m of xml.replace(/<rPh\b[\s\S]*?<\/rPh>/g, '').matchAll(/<t(?:\s[^>]*)?>([\s\S]*?)<\/t>/g))
    out += m[1]
  return unescapeXml(out)
}

const attr = (tag: string, name: string): string | undefined =>
  new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1]

function columnIndex(ref: string | undefined): number | null {
  const m = ref ? /^([A-Z]{1,3})\d*$/.exec(ref) : null
  if (!m?.[1]) return null
  let n = 0
  for (const ch of m[1]) n = n * 26 + (ch.charCodeAt(0) - 64)
  return n - 1
}

function rowCells(row: string, shared: readonly string[]): string[] {
  const cells: string[] = []
  let next = 0
  for (const m of row.matchAll(/<c\b([^>]*?)(?:\/>|>([\s\S]*?)<\/c>)/g)) {
    const attrs = ` ${m[1] ?? ''}`
    const body = m[2] ?? ''
    const col = columnIndex(attr(attrs, 'r')) ?? next
    if (col > 16_383) throw bad('a column beyond XFD')
    next = col + 1
    const type = attr(attrs, 't')
    const v = /<v(?:\s[^>]*)?>([\s\S]*?)<\/v>/.exec(body)?.[1]
    let text = ''
    if (type === 's') text = v !== undefined ? (shared[Number(v)] ?? '') : ''
    else if (type === 'inlineStr') text = stringText(/<is>([\s\S]*?)<\/is>/.exec(body)?.[1] ?? '')
    else if (type === 'b') text = v === '1' ? 'TRUE' : v === '0' ? 'FALSE' : ''
    else if (v !== undefined) text = unescapeXml(v)
    while (cells.length < col) cells.push('')
    cells[col] = text
  }
  return cells
}

/** Where the first worksheet and the shared strings are, from the workbook and its relationships. */
async function locateParts(
  data: Uint8Array,
  entries: Map<string, ZipEntry>,
  budget: Budget,
): Promise<{ sheet: ZipEntry; shared: ZipEntry | undefined }> {
  const text = async (name: string) => {
    const entry = entries.get(name)
    if (!entry) return null
    let out = ''
    for await (const chunk of inflateText(data, entry, budget)) {
      out += chunk
      if (out.length > MAX_ELEMENT_CHARS) throw bad(`${name} above ${mb(MAX_ELEMENT_CHARS)} MB`)
    }
    return out
  }
  const workbook = await text('xl/workbook.xml')
  const rels = await text('xl/_rels/workbook.xml.rels')
  if (workbook === null || rels === null) throw unreadable()
  const target = (id: string | undefined, type: string) => {
    for (const m of rels.matchAll(/<Relationship\b[^>]*>/g)) {
      const tag = ` ${m[0].slice('<Relationship'.length)}`
      if (id ? attr(tag, 'Id') === id : attr(tag, 'Type')?.endsWith(`/${type}`)) {
        const t = attr(tag, 'Target') ?? ''
        return t.startsWith('/') ? t.slice(1) : `xl/${t}`
      }
    }
    return undefined
  }
  const firstSheet = /<sheet\b[^>]*>/.exec(workbook)?.[0]
  if (!firstSheet) throw new InvalidInputError('file', 'the XLSX file has no worksheet')
  const sheetPath = target(attr(` ${firstSheet.slice(6)}`, 'r:id'), 'worksheet')
  const sheet = sheetPath ? entries.get(sheetPath) : undefined
  if (!sheet) throw new InvalidInputError('file', 'the XLSX file has no worksheet')
  const sharedPath = target(undefined, 'sharedStrings')
  return { sheet, shared: sharedPath ? entries.get(sharedPath) : undefined }
}

/** Reads the header row and up to `maxRows` non-empty data rows of the first worksheet. */
export async function readXlsx(data: Uint8Array, options: { maxRows: number }): Promise<XlsxRead> {
  const entries = new Map(zipEntries(data).map((e) => [e.name, e]))
  const budget: Budget = { left: ZIP_LIMITS.maxUncompressedBytes }
  const { sheet, shared } = await locateParts(data, entries, budget)
  const strings: string[] = []
  if (shared)
    for await (const si of elements(inflateText(data, shared, budget), 'si')) strings.push(stringText(si))
  let headers: string[] | null = null
  const rows: string[][] = []
  let truncated = false
  for await (const row of elements(inflateText(data, sheet, budget), 'row')) {
    const cells = rowCells(row, strings)
    if (!cells.some((c) => c.trim() !== '')) continue
    if (headers === null) {
      headers = cells.map((h) => h.trim())
      continue
    }
    if (rows.length === options.maxRows) {
      truncated = true
      break
    }
    rows.push(cells)
  }
  return { headers: headers ?? [], rows, truncated }
}
