import type { Schemas } from '@/api/typed'
import type { Translate } from '@/composables/use-t'

/** One field of a template's form, as the bot publishes it (`FormFieldSchema`). */
export type FormField = Schemas['ApprovalTemplate']['form'][number]
export type FieldType = FormField['type']

export interface FileRef {
  key: string
  name: string
  size?: number
  url?: string
}

export interface DateRangeDraft {
  start: string
  end: string
}

/** One detail row of a `table` field while typed: column key → text. */
export type TableRowDraft = Record<string, string>
export type TableColumn = NonNullable<FormField['columns']>[number]

/** What the inputs hold while the user types (numbers and money as typed text). */
export type DraftValue = string | string[] | DateRangeDraft | FileRef[] | TableRowDraft[] | null
export type DraftValues = Record<string, DraftValue>

/** Types whose value is the id of a record elsewhere (people, departments, CRM records). */
export const REF_TYPES = ['user', 'department', 'customer', 'opportunity', 'contract'] as const
export type RefType = (typeof REF_TYPES)[number]
export const isRefType = (type: FieldType): type is RefType => REF_TYPES.some((t) => t === type)

export interface RefOption {
  id: string
  label: string
  hint?: string
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/

/** Calendar day number of `YYYY-MM-DD`; null when not a real date. */
export function dayNumber(value: string): number | null {
  const m = DATE_RE.exec(value)
  if (!m) return null
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const ms = Date.UTC(y, mo - 1, d)
  const back = new Date(ms)
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null
  return Math.round(ms / 86_400_000)
}

/** Inclusive days of a range, as the bot computes them (`12-01`…`12-05` is 5); null when incomplete. */
export function rangeDays(range: DateRangeDraft | null | undefined): number | null {
  if (!range) return null
  const a = dayNumber(range.start)
  const b = dayNumber(range.end)
  return a === null || b === null ? null : b - a + 1
}

export function emptyValue(field: FormField): DraftValue {
  switch (field.type) {
    case 'multiselect':
      return []
    case 'attachment':
    case 'image':
    case 'table':
      return []
    case 'dateRange':
      return { start: '', end: '' }
    default:
      return ''
  }
}

export function emptyValues(fields: readonly FormField[]): DraftValues {
  const values: DraftValues = {}
  for (const f of fields) values[f.key] = emptyValue(f)
  return values
}

function isEmpty(value: DraftValue | undefined): boolean {
  if (value === null || value === undefined) return true
  if (typeof value === 'string') return value.trim() === ''
  if (Array.isArray(value)) return value.length === 0
  return !value.start && !value.end
}

const asText = (v: DraftValue | undefined) => (typeof v === 'string' ? v.trim() : '')

/** Parses typed money (`5,000.5`, `¥5000`) into integer cents; null when not an amount. */
export function parseMoneyCents(text: string): number | null {
  const clean = text.replace(/[,，\s¥￥]/g, '')
  if (!/^\d+(\.\d{1,2})?$/.test(clean)) return null
  const [whole = '0', frac = ''] = clean.split('.')
  return Number(whole) * 100 + Number(frac.padEnd(2, '0'))
}

export function fieldLabel(field: FormField, locale: string): string {
  return locale === 'en' && field.labelEn ? field.labelEn : field.label
}

/**
 * Checks drafts the way the bot will (required, number and money ranges, text length, real dates, range
 * order, options) and answers a message per failing field, in the user's language.
 */
export function validateDraft(
  fields: readonly FormField[],
  values: DraftValues,
  t: Translate,
  locale: string,
): Record<string, string> {
  const errors: Record<string, string> = {}
  for (const field of fields) {
    const label = fieldLabel(field, locale)
    const value = values[field.key]
    if (isEmpty(value)) {
      if (field.required) errors[field.key] = t('form.required', { label })
      continue
    }
    switch (field.type) {
      case 'text':
      case 'textarea': {
        const limit = field.maxLength ?? (field.type === 'text' ? 2000 : 10_000)
        if (asText(value).length > limit) errors[field.key] = t('form.maxLength', { label, max: limit })
        break
      }
      case 'number':
      case 'money': {
        const text = asText(value)
        const n = field.type === 'money' ? parseMoneyCents(text) : Number(text)
        if (n === null || !Number.isFinite(n) || text === '') {
          errors[field.key] = t('form.number', { label })
          break
        }
        // min/max of money are in cents, like its value.
        const shown = (x: number) => (field.type === 'money' ? (x / 100).toFixed(2) : String(x))
        if (field.min !== undefined && n < field.min) errors[field.key] = t('form.min', { label, min: shown(field.min) })
        else if (field.max !== undefined && n > field.max) errors[field.key] = t('form.max', { label, max: shown(field.max) })
        break
      }
      case 'date':
        if (dayNumber(asText(value)) === null) errors[field.key] = t('form.required', { label })
        break
      case 'dateRange': {
        const range = value as DateRangeDraft
        if (dayNumber(range.start) === null || dayNumber(range.end) === null) {
          errors[field.key] = t('form.required', { label })
        } else if ((rangeDays(range) ?? 0) < 1) errors[field.key] = t('form.rangeOrder')
        break
      }
      case 'select':
        if (!(field.options ?? []).some((o) => o.value === value)) errors[field.key] = t('form.required', { label })
        break
      case 'multiselect': {
        const allowed = new Set((field.options ?? []).map((o) => o.value))
        if (!(value as string[]).every((v) => allowed.has(v))) errors[field.key] = t('form.required', { label })
        break
      }
      case 'table': {
        const message = tableError(field, fields, value as TableRowDraft[], values, t, locale)
        if (message) errors[field.key] = message
        break
      }
      default:
        break
    }
  }
  return errors
}

const rowIsEmpty = (row: TableRowDraft) => Object.values(row).every((v) => !v?.trim())

/** A typed cell as the bot takes it: money in cents, numbers as numbers, text trimmed; null when not valid. */
function cellValue(column: TableColumn, text: string): string | number | null {
  const v = text.trim()
  if (column.type === 'money') return parseMoneyCents(v)
  if (column.type === 'number') return v !== '' && Number.isFinite(Number(v)) ? Number(v) : null
  if (column.type === 'date') return dayNumber(v) === null ? null : v
  if (column.type === 'select') return (column.options ?? []).some((o) => o.value === v) ? v : null
  return v
}

/** The rows of a table field as the bot takes them: empty rows dropped, empty cells left out. */
export function tableRows(field: FormField, rows: readonly TableRowDraft[]): Array<Record<string, unknown>> {
  return rows
    .filter((row) => !rowIsEmpty(row))
    .map((row) => {
      const out: Record<string, unknown> = {}
      for (const column of field.columns ?? []) {
        const text = row[column.key] ?? ''
        if (!text.trim()) continue
        const v = cellValue(column, text)
        out[column.key] = v === null ? text.trim() : v
      }
      return out
    })
}

/** The total of a table's summed column (its sum check's, else the first money or number column), in its unit. */
export function tableTotal(field: FormField, rows: readonly TableRowDraft[]): { column: TableColumn; total: number } | null {
  const key = field.sumCheck?.column ?? field.columns?.find((c) => c.type === 'money' || c.type === 'number')?.key
  const column = field.columns?.find((c) => c.key === key)
  if (!column) return null
  let total = 0
  for (const row of tableRows(field, rows)) {
    const v = row[column.key]
    if (typeof v === 'number') total += v
  }
  return { column, total }
}

const yuan = (cents: number) => (cents / 100).toFixed(2)

function tableError(
  field: FormField,
  fields: readonly FormField[],
  rows: TableRowDraft[],
  values: DraftValues,
  t: Translate,
  locale: string,
): string | null {
  const label = fieldLabel(field, locale)
  const filled = rows.filter((row) => !rowIsEmpty(row))
  if (field.maxRows !== undefined && filled.length > field.maxRows) return t('form.max', { label, max: field.maxRows })
  for (const [i, row] of filled.entries()) {
    for (const column of field.columns ?? []) {
      const text = row[column.key] ?? ''
      const name = `${label} ${i + 1} · ${fieldLabel(column as FormField, locale)}`
      if (!text.trim()) {
        if (column.required) return t('form.required', { label: name })
        continue
      }
      if (cellValue(column, text) === null) return t(column.type === 'money' || column.type === 'number' ? 'form.number' : 'form.required', { label: name })
    }
  }
  if (field.sumCheck && filled.length) {
    const target = sumTarget(fields, values, field.sumCheck.field)
    const sum = tableTotal(field, filled)
    if (target !== null && sum && Math.abs(sum.total - target) >= 0.005) {
      const money = sum.column.type === 'money'
      return t('form.tableSum', { label, sum: money ? yuan(sum.total) : String(sum.total), total: money ? yuan(target) : String(target) })
    }
  }
  return null
}

/** A number or money field's typed value as the bot will take it (cents for money); null when not a number. */
function sumTarget(fields: readonly FormField[], values: DraftValues, key: string): number | null {
  const text = asText(values[key])
  const target = fields.find((f) => f.key === key)
  if (!text || !target) return null
  if (target.type === 'money') return parseMoneyCents(text)
  const n = Number(text)
  return Number.isFinite(n) ? n : null
}

/** Drafts → the `form` the bot takes: numbers as numbers, money in integer cents, empties left out. */
export function toSubmission(fields: readonly FormField[], values: DraftValues): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const field of fields) {
    const value = values[field.key]
    if (isEmpty(value)) continue
    switch (field.type) {
      case 'number':
        out[field.key] = Number(asText(value))
        break
      case 'money':
        out[field.key] = parseMoneyCents(asText(value))
        break
      case 'dateRange': {
        const range = value as DateRangeDraft
        out[field.key] = { start: range.start, end: range.end }
        break
      }
      case 'text':
      case 'textarea':
      case 'date':
      case 'select':
        out[field.key] = asText(value)
        break
      case 'table': {
        const rows = tableRows(field, value as TableRowDraft[])
        if (rows.length) out[field.key] = rows
        break
      }
      default:
        out[field.key] = value
    }
  }
  return out
}

const isFileRef = (v: unknown): v is FileRef =>
  typeof v === 'object' && v !== null && typeof (v as FileRef).key === 'string'

/**
 * The other way round: a submitted `form` (as the bot stores it) back into drafts for editing, e.g. to
 * resubmit a returned request. Money goes back to yuan text, numbers to text, ranges lose their `days`.
 */
export function toDraft(fields: readonly FormField[], form: Record<string, unknown>): DraftValues {
  const values = emptyValues(fields)
  for (const field of fields) {
    const value = form[field.key]
    if (value === undefined || value === null) continue
    switch (field.type) {
      case 'money':
        if (typeof value === 'number') values[field.key] = (value / 100).toFixed(2)
        break
      case 'number':
        if (typeof value === 'number' || typeof value === 'string') values[field.key] = String(value)
        break
      case 'dateRange': {
        const r = value as Partial<DateRangeDraft>
        values[field.key] = { start: String(r.start ?? ''), end: String(r.end ?? '') }
        break
      }
      case 'multiselect':
        if (Array.isArray(value)) values[field.key] = value.map(String)
        break
      case 'attachment':
      case 'image':
        if (Array.isArray(value)) values[field.key] = value.filter(isFileRef).map((f) => ({ ...f }))
        break
      case 'table':
        if (Array.isArray(value)) {
          values[field.key] = value.map((row) => {
            const draft: TableRowDraft = {}
            for (const column of field.columns ?? []) {
              const cell = (row as Record<string, unknown>)[column.key]
              if (cell === undefined || cell === null) continue
              draft[column.key] = column.type === 'money' && typeof cell === 'number' ? yuan(cell) : String(cell)
            }
            return draft
          })
        }
        break
      default:
        if (typeof value === 'string' || typeof value === 'number') values[field.key] = String(value)
    }
  }
  return values
}

/** Cents as yuan with thousands separators (`¥1,153.00`), as cards show money. */
export const moneyText = (cents: number): string =>
  `¥${(cents / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`

/** A submitted value as text for the detail page (`¥5,000.00`, `2026-12-01 ~ 2026-12-05（5 天）`). */
export function displayValue(field: FormField, value: unknown, locale: string): string {
  if (value === undefined || value === null || value === '') return '—'
  switch (field.type) {
    case 'money':
      return moneyText(Number(value))
    case 'dateRange': {
      const r = value as { start?: string; end?: string; days?: number }
      return locale === 'en' ? `${r.start} – ${r.end} (${r.days} d)` : `${r.start} ~ ${r.end}（${r.days} 天）`
    }
    case 'select':
      return field.options?.find((o) => o.value === value)?.label ?? String(value)
    case 'multiselect':
      return Array.isArray(value)
        ? value.map((v) => field.options?.find((o) => o.value === v)?.label ?? String(v)).join('、')
        : String(value)
    case 'attachment':
    case 'image':
      return Array.isArray(value) ? value.map((f) => (f as FileRef).name).join('、') : '—'
    case 'table': {
      if (!Array.isArray(value)) return '—'
      const rows = value as Array<Record<string, unknown>>
      const count = locale === 'en' ? `${rows.length} row${rows.length === 1 ? '' : 's'}` : `${rows.length} 行`
      const key = field.sumCheck?.column ?? field.columns?.find((c) => c.type === 'money' || c.type === 'number')?.key
      const column = field.columns?.find((c) => c.key === key)
      if (!column) return count
      const sum = rows.reduce((a, r) => a + (typeof r[column.key] === 'number' ? (r[column.key] as number) : 0), 0)
      const total = column.type === 'money' ? moneyText(sum) : String(sum)
      return locale === 'en' ? `${count}, total ${total}` : `${count}，合计 ${total}`
    }
    default:
      return typeof value === 'object' ? JSON.stringify(value) : String(value)
  }
}
