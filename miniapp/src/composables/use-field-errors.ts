import { ref } from 'vue'
import { ApiError } from '@/api/errors'

interface FieldIssue {
  field: string
  message: string
}

function isIssueList(value: unknown): value is FieldIssue[] {
  return (
    Array.isArray(value) &&
    value.every((i) => typeof i === 'object' && i !== null && typeof (i as FieldIssue).field === 'string')
  )
}

/**
 * Per-field messages for a form: set by client-side checks, or taken from the bot's answer (`error.field`
 * and, for schema failures, every `details[].field`), so each message shows next to its field.
 * `prefix` strips a path prefix the form does not show (`form.` for approval forms).
 */
export function useFieldErrors(prefix = '') {
  const errors = ref<Record<string, string>>({})

  const strip = (field: string) => (prefix && field.startsWith(prefix) ? field.slice(prefix.length) : field)
  /** `amount.start` → `amount`: a nested path belongs to its top field. */
  const top = (field: string) => strip(field).split('.')[0] ?? field

  /** Takes what the bot said about fields; `true` when at least one field got a message. */
  function fromError(error: unknown): boolean {
    if (!(error instanceof ApiError)) return false
    const next: Record<string, string> = {}
    if (isIssueList(error.details)) {
      for (const issue of error.details) if (issue.field) next[top(issue.field)] ??= issue.message
    }
    if (error.field) next[top(error.field)] ??= error.message
    errors.value = next
    return Object.keys(next).length > 0
  }

  function clear(field?: string): void {
    if (field === undefined) errors.value = {}
    else if (errors.value[field] !== undefined) {
      const { [field]: _removed, ...rest } = errors.value
      errors.value = rest
    }
  }

  return { errors, fromError, clear }
}
