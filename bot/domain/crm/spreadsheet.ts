import { csvLines } from '../../lib/csv'
import { readXlsx } from './internal/xlsx-reader'

/** exceljs is loaded on first use: it costs ~250 ms at start and only imports and exports need it. */
const loadExcel = async () => (await import('exceljs')).default

import { InvalidInputError } from '../errors'

/** A parsed sheet: the header row and the data rows as strings (row numbers are 1-based sheet rows). */
export interface Sheet {
  headers: string[]
  rows: string[][]
  /** Set when reading stopped at `maxRows` data rows and the file has more. */
  truncated?: boolean
}

/** RFC 4180 CSV (quotes, doubled quotes, CRLF, a UTF-8 BOM). */
export function parseCsv(text: string): Sheet {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  const out: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]
    if (quoted) {
      if (ch === '"') {
        if (src[i + 1] === '"') {
          field += '"'
          i++
        } else quoted = false
      } else field += ch
    } else if (ch === '"' && field === '') quoted = true
    else if (ch === ',') {
      row.push(field)
      field = ''
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && src[i + 1] === '\n') i++
      row.push(field)
      out.push(row)
      row = []
      field = ''
    } else field += ch
  }
  if (quoted) throw new InvalidInputError('file', 'CSV has an unterminated quoted field')
  if (field !== '' || row.length > 0) {
    row.push(field)
    out.push(row)
  }
  const [headers = [], ...rows] = out
  return { headers: headers.map((h) => h.trim()), rows: rows.filter((r) => r.some((c) => c.trim() !== '')) }
}

/** CSV with a BOM (Excel reads UTF-8 then), every cell through the shared `csvCell` (formulas defused). */
export function toCsv(headers: string[], rows: string[][]): Uint8Array {
  return new TextEncoder().encode(`\ufeff${csvLines([headers, ...rows])}\r\n`)
}

/**
 * The first worksheet of an XLSX file, cells as text, read as a stream with hard caps (`xlsx-reader.ts`):
 * the zip directory is checked first (parts, declared size, ratio), then every part is inflated counting
 * the bytes it really produces, and reading stops after `maxRows` data rows (`truncated` says so).
 */
export async function parseXlsx(data: Uint8Array, options: { maxRows?: number } = {}): Promise<Sheet> {
  const read = await readXlsx(data, { maxRows: options.maxRows ?? Number.POSITIVE_INFINITY })
  return {
    headers: read.headers,
    rows: read.rows,
    ...(read.truncated ? { truncated: true } : {}),
  }
}

export async function toXlsx(sheetName: string, headers: string[], rows: string[][]): Promise<Uint8Array> {
  const ExcelJS = await loadExcel()
  const wb = new ExcelJS.Workbook()
  const ws = wb.addWorksheet(sheetName)
  ws.addRow(headers)
  ws.addRows(rows)
  const buf = await wb.xlsx.writeBuffer()
  return new Uint8Array(buf as ArrayBuffer)
}

/**
 * Parses an import file. With `maxRows`, an XLSX sheet is read only that far (a CSV is parsed whole: its
 * size is its upload size) and `truncated` is set when there were more data rows.
 */
export async function parseSheet(
  format: 'csv' | 'xlsx',
  data: Uint8Array,
  options: { maxRows?: number } = {},
): Promise<Sheet> {
  if (format === 'xlsx') return parseXlsx(data, options)
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data)
  } catch {
    throw new InvalidInputError('file', 'CSV must be UTF-8')
  }
  return parseCsv(text)
}

/** The import's header mapping and lead columns, for the lead import (the same parse path as customers). */
export { LEAD_COLUMNS, mapHeaders } from './internal/import-columns'
