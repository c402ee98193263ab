import { InvalidInputError } from '../../errors'
import type { FieldType, FormField } from '../schemas'

/** A date range as stored: inclusive days, computed on the server (the client's number is ignored). */
export interface DateRangeValue {
  start: string
  end: string
  days: number
}

/**
 * A stored file reference: the storage key of an upload (`POST /api/v1/approvals/files`). Name, size and
 * type are copied from the upload record on submission, never taken from the client.
 */
export interface FileRef {
  key: string
  name: string
  size?: number
  contentType?: string
}

/** Field types the chat card form can hold; the rest open the mini-app. */
export const SIMPLE_FIELD_TYPES: ReadonlySet<FieldType> = new Set<FieldType>([
  'text',
  'textarea',
  'number',
  'money',
  'date',
  'dateRange',
  'select',
  'multiselect',
  'user',
])

/**
 * Field types holding ids that must exist in the tenant (checked by the verb against the database): org
 * records, CRM records (within the initiator's data scope) and uploaded files (the initiator's own).
 */
export type ReferenceKind = 'user' | 'department' | 'customer' | 'opportunity' | 'contract' | 'file' | 'image'

export interface ValidatedForm {
  values: Record<string, unknown>
  /** Ids to verify in the database, with the field that named them. */
  references: Array<{ field: string; kind: ReferenceKind; id: string }>
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/
const MAX_TEXT = 2000
const MAX_TEXTAREA = 10_000

const fieldPath = (key: string) => `form.${key}`

/** Parses `YYYY-MM-DD` (a calendar date, no time zone) into a day number; null when not a real date. */
export function dayNumber(value: string): number | null {
  const m = DATE_RE.exec(value)
  if (!m) return null
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const ms = Date.UTC(y, mo - 1, d)
  const back = new Date(ms)
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null
  return Math.round(ms / 86_400_000)
}

/** Inclusive day count of a range (`12-01`…`12-05` is 5 days). */
export const rangeDays = (start: string, end: string): number | null => {
  const a = dayNumber(start)
  const b = dayNumber(end)
  return a === null || b === null ? null : b - a + 1
}

/**
 * Validates a submission against the template's form. Returns normalised values (money in integer cents,
 * date ranges with their computed days, unknown keys dropped) or throws a 400 naming the field.
 */
export function validateForm(fields: readonly FormField[], input: Record<string, unknown>): ValidatedForm {
  const values: Record<string, unknown> = {}
  const references: ValidatedForm['references'] = []
  for (const field of fields) {
    const raw = input[field.key]
    const path = fieldPath(field.key)
    const empty =
      raw === undefined ||
      raw === null ||
      (typeof raw === 'string' && raw.trim() === '') ||
      (Array.isArray(raw) && raw.length === 0)
    if (empty) {
      if (field.required) throw new InvalidInputError(path, `${field.label} 必填 / ${field.key} is required`)
      continue
    }
    values[field.key] = validateValue(field, raw, path, references)
  }
  for (const field of fields) checkTableSum(field, values)
  return { values, references }
}

/** A table field's rows must add up to the field its sum check names (empty rows add up to nothing). */
function checkTableSum(field: FormField, values: Record<string, unknown>): void {
  if (field.type !== 'table' || !field.sumCheck) return
  const rows = values[field.key] as TableRow[] | undefined
  const target = values[field.sumCheck.field]
  if (!rows?.length || typeof target !== 'number') return
  const sum = tableSum(rows, field.sumCheck.column)
  // Money is integer cents; numbers are compared to a cent's precision.
  if (Math.abs(sum - target) < 0.005) return
  const column = field.columns?.find((c) => c.key === field.sumCheck?.column)
  const money = column?.type === 'money'
  const show = (n: number) => (money ? formatCents(n) : String(n))
  throw new InvalidInputError(
    fieldPath(field.key),
    `${field.label}：明细合计 ${show(sum)} 与 ${field.sumCheck.field} ${show(target)} 不符 / ` +
      `${field.key}: the rows add up to ${show(sum)}, not ${field.sumCheck.field} ${show(target)}`,
  )
}

/** One row of a `table` field as stored: column key → normalised value. */
export type TableRow = Record<string, unknown>

/** The sum of a numeric column over a table's rows (missing cells count 0). */
export function tableSum(rows: readonly TableRow[], column: string): number {
  let sum = 0
  for (const row of rows) {
    const v = row[column]
    if (typeof v === 'number') sum += v
  }
  return sum
}

const DEFAULT_MAX_ROWS = 50

/**
 * The values of a form being filled in, for the flow preview: each field that parses is kept (normalised
 * as on submission), a missing or not yet valid one is left out. Never throws.
 */
export function partialForm(
  fields: readonly FormField[],
  input: Record<string, unknown>,
): Record<string, unknown> {
  const values: Record<string, unknown> = {}
  for (const field of fields) {
    const raw = input[field.key]
    if (raw === undefined || raw === null || raw === '') continue
    try {
      values[field.key] = validateValue(field, raw, fieldPath(field.key), [])
    } catch {
      // not valid yet: the preview is computed without it
    }
  }
  return values
}

function fail(path: string, field: FormField, what: string): never {
  throw new InvalidInputError(path, `${field.label}：${what} / ${field.key}: ${what}`)
}

function validateValue(
  field: FormField,
  raw: unknown,
  path: string,
  references: ValidatedForm['references'],
): unknown {
  switch (field.type) {
    case 'text':
    case 'textarea': {
      if (typeof raw !== 'string') fail(path, field, 'expected text')
      const limit = field.maxLength ?? (field.type === 'text' ? MAX_TEXT : MAX_TEXTAREA)
      const v = raw.trim()
      if (v.length > limit) fail(path, field, `at most ${limit} characters`)
      return v
    }
    case 'number': {
      const n = typeof raw === 'number' ? raw : Number.NaN
      if (!Number.isFinite(n)) fail(path, field, 'expected a number')
      checkRange(field, n, path)
      return n
    }
    case 'money': {
      // Integer cents (分): 500000 is ¥5,000.00.
      if (typeof raw !== 'number' || !Number.isSafeInteger(raw)) fail(path, field, 'expected integer cents')
      if (raw < 0) fail(path, field, 'must not be negative')
      checkRange(field, raw, path)
      return raw
    }
    case 'date': {
      if (typeof raw !== 'string' || dayNumber(raw) === null) fail(path, field, 'expected a date YYYY-MM-DD')
      return raw
    }
    case 'dateRange': {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        fail(path, field, 'expected {start, end}')
      }
      const r = raw as Record<string, unknown>
      const start = typeof r.start === 'string' ? r.start : ''
      const end = typeof r.end === 'string' ? r.end : ''
      if (dayNumber(start) === null)
        throw new InvalidInputError(`${path}.start`, `${field.label}：开始日期无效`)
      if (dayNumber(end) === null) throw new InvalidInputError(`${path}.end`, `${field.label}：结束日期无效`)
      const days = rangeDays(start, end) ?? 0
      if (days < 1) throw new InvalidInputError(`${path}.end`, `${field.label}：结束日期早于开始日期`)
      return { start, end, days } satisfies DateRangeValue
    }
    case 'select': {
      if (typeof raw !== 'string') fail(path, field, 'expected one option')
      if (!(field.options ?? []).some((o) => o.value === raw)) fail(path, field, `"${raw}" is not an option`)
      return raw
    }
    case 'multiselect': {
      if (!Array.isArray(raw) || !raw.every((x) => typeof x === 'string')) {
        fail(path, field, 'expected a list of options')
      }
      const allowed = new Set((field.options ?? []).map((o) => o.value))
      const bad = raw.find((x) => !allowed.has(x as string))
      if (bad !== undefined) fail(path, field, `"${String(bad)}" is not an option`)
      return [...new Set(raw as string[])]
    }
    case 'user':
    case 'department': {
      if (typeof raw !== 'string' || raw.length > 64) fail(path, field, `expected a ${field.type} id`)
      references.push({ field: path, kind: field.type, id: raw })
      return raw
    }
    case 'attachment':
    case 'image': {
      if (!Array.isArray(raw) || raw.length > 20) fail(path, field, 'expected a list of file references')
      const seen = new Set<string>()
      const out: FileRef[] = []
      raw.forEach((f, i) => {
        // A storage key, or `{ key }` as the upload answered it.
        const key = typeof f === 'string' ? f : (f as Partial<FileRef> | null)?.key
        if (typeof key !== 'string' || !key || key.length > 300) {
          throw new InvalidInputError(`${path}.${i}`, `${field.label}：expected an uploaded file key`)
        }
        if (seen.has(key)) return
        seen.add(key)
        references.push({ field: `${path}.${i}`, kind: field.type === 'image' ? 'image' : 'file', id: key })
        out.push({ key, name: key.slice(key.lastIndexOf('/') + 1) })
      })
      return out
    }
    case 'table': {
      const maxRows = field.maxRows ?? DEFAULT_MAX_ROWS
      if (!Array.isArray(raw)) fail(path, field, 'expected a list of rows')
      if (raw.length > maxRows) fail(path, field, `at most ${maxRows} rows`)
      const columns = field.columns ?? []
      return raw.map((row, i) => {
        if (typeof row !== 'object' || row === null || Array.isArray(row)) {
          throw new InvalidInputError(
            `${path}.${i}`,
            `${field.label}：第 ${i + 1} 行无效 / row ${i + 1} is not an object`,
          )
        }
        const cells = row as Record<string, unknown>
        const out: TableRow = {}
        for (const col of columns) {
          const cellPath = `${path}.${i}.${col.key}`
          const v = cells[col.key]
          if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) {
            if (col.required) {
              throw new InvalidInputError(
                cellPath,
                `${field.label} 第 ${i + 1} 行 ${col.label} 必填 / ${field.key} row ${i + 1}: ${col.key} is required`,
              )
            }
            continue
          }
          // A column is a simple field: the same rules, the same error shape, its own path.
          out[col.key] = validateValue(col as FormField, v, cellPath, references)
        }
        return out
      })
    }
    case 'customer':
    case 'opportunity':
    case 'contract': {
      if (typeof raw !== 'string' || raw.length < 1 || raw.length > 64) {
        fail(path, field, `expected a ${field.type} id`)
      }
      references.push({ field: path, kind: field.type, id: raw })
      return raw
    }
  }
}

function checkRange(field: FormField, n: number, path: string): void {
  if (field.min !== undefined && n < field.min) fail(path, field, `must be ≥ ${field.min}`)
  if (field.max !== undefined && n > field.max) fail(path, field, `must be ≤ ${field.max}`)
}

/** The number a condition compares for a value: numbers and money as they are, date ranges by days. */
export function numericValue(value: unknown): number | null {
  if (typeof value === 'number') return value
  if (value && typeof value === 'object' && 'days' in value) {
    const d = (value as { days: unknown }).days
    return typeof d === 'number' ? d : null
  }
  return null
}

/** `¥5,000.00` from cents, without Intl (cards are built on every tap). */
export function formatCents(cents: number): string {
  const sign = cents < 0 ? '-' : ''
  const abs = Math.abs(Math.round(cents))
  const yuan = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return `${sign}¥${yuan}.${String(abs % 100).padStart(2, '0')}`
}

/** An option's label in the reader's language (its English label when it has one); unknown values as stored. */
function optionLabel(field: FormField, value: string, locale: 'zh-CN' | 'en'): string {
  const o = field.options?.find((x) => x.value === value)
  if (!o) return value
  return locale === 'en' && o.labelEn ? o.labelEn : o.label
}

/** A value as short text for cards (`¥5,000.00`, `2026-12-01 ~ 2026-12-05（5 天）`). */
export function displayValue(
  field: FormField,
  value: unknown,
  locale: 'zh-CN' | 'en',
  names: (kind: 'user' | 'department', id: string) => string = (_k, id) => id,
): string {
  if (value === undefined || value === null) return '—'
  switch (field.type) {
    case 'money':
      return formatCents(Number(value))
    case 'dateRange': {
      const r = value as DateRangeValue
      return locale === 'en' ? `${r.start} – ${r.end} (${r.days} d)` : `${r.start} ~ ${r.end}（${r.days} 天）`
    }
    case 'select':
      return optionLabel(field, String(value), locale)
    case 'multiselect':
      return (value as string[]).map((v) => optionLabel(field, v, locale)).join(locale === 'en' ? ', ' : '、')
    case 'user':
    case 'department':
      return names(field.type, String(value))
    case 'attachment':
    case 'image':
      return (value as FileRef[]).map((f) => f.name).join('、')
    case 'table':
      return tableSummary(field, value as TableRow[], locale)
    default:
      return String(value)
  }
}

/**
 * A table as one line for cards: the row count and, when a column is money (the sum-checked one first),
 * its total — `3 行，合计 ¥1,250.00`.
 */
export function tableSummary(field: FormField, rows: readonly TableRow[], locale: 'zh-CN' | 'en'): string {
  const sumKey =
    field.sumCheck?.column ?? field.columns?.find((c) => c.type === 'money' || c.type === 'number')?.key
  const col = field.columns?.find((c) => c.key === sumKey)
  const count = locale === 'en' ? `${rows.length} row${rows.length === 1 ? '' : 's'}` : `${rows.length} 行`
  if (!col) return count
  const sum = tableSum(rows, col.key)
  const total = col.type === 'money' ? formatCents(sum) : String(sum)
  return locale === 'en' ? `${count}, total ${total}` : `${count}，合计 ${total}`
}
