import type { Condition } from '../schemas'
import { numericValue } from './form'

/** What conditions look at: the form and the initiator's place in the org. */
export interface ConditionContext {
  form: Record<string, unknown>
  /** Materialised paths (`/root/sales/east/`) of the initiator's departments. */
  departmentPaths: string[]
  roleKeys: string[]
}

/** True when every condition holds (a branch's conditions are ANDed). */
export const allHold = (conditions: readonly Condition[], ctx: ConditionContext): boolean =>
  conditions.every((c) => holds(c, ctx))

export function holds(condition: Condition, ctx: ConditionContext): boolean {
  switch (condition.kind) {
    case 'department':
      // The department itself or any department below it: its id appears in the initiator's path.
      return ctx.departmentPaths.some((p) => condition.departmentIds.some((d) => p.includes(`/${d}/`)))
    case 'role':
      return condition.roleKeys.some((r) => ctx.roleKeys.includes(r))
    case 'form': {
      const value = ctx.form[condition.field]
      if (value === undefined || value === null) return false
      if (condition.op === 'in') {
        const list = Array.isArray(condition.value) ? condition.value.map(String) : [String(condition.value)]
        if (Array.isArray(value)) return value.some((v) => list.includes(String(v)))
        return list.includes(String(numericValue(value) ?? value))
      }
      if (condition.op === 'eq') {
        const n = numericValue(value)
        if (n !== null && typeof condition.value === 'number') return n === condition.value
        return String(value) === String(condition.value)
      }
      const n = numericValue(value)
      const target = typeof condition.value === 'number' ? condition.value : Number(condition.value)
      if (n === null || !Number.isFinite(target)) return false
      switch (condition.op) {
        case 'gt':
          return n > target
        case 'gte':
          return n >= target
        case 'lt':
          return n < target
        case 'lte':
          return n <= target
      }
    }
  }
}
