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

/** What the inputs hold while the user types (numbers and money as typed text). */
export type DraftValue = string | string[] | DateRangeDraft | FileRef[] | null
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
      default:
        break
    }
  }
  return errors
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
      default:
        if (typeof value === 'string' || typeof value === 'number') values[field.key] = String(value)
    }
  }
  return values
}

/** A submitted value as text for the detail page (`¥5,000.00`, `2026-12-01 ~ 2026-12-05（5 天）`). */
export function displayValue(field: FormField, value: unknown, locale: string): string {
  if (value === undefined || value === null || value === '') return '—'
  switch (field.type) {
    case 'money':
      return `¥${(Number(value) / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`
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
    default:
      return typeof value === 'object' ? JSON.stringify(value) : String(value)
  }
}
