import { describe, expect, it } from 'vitest'
import { allHold, holds } from './conditions'

const ctx = {
  form: {
    days: { start: '2026-12-01', end: '2026-12-05', days: 5 },
    amount: 600_000,
    kind: 'sick',
    tags: ['a', 'b'],
  },
  departmentPaths: ['/root/sales/east/'],
  roleKeys: ['sales'],
}

describe('conditions', () => {
  it.each([
    [{ kind: 'form' as const, field: 'days', op: 'gt' as const, value: 3 }, true],
    [{ kind: 'form' as const, field: 'days', op: 'lte' as const, value: 3 }, false],
    [{ kind: 'form' as const, field: 'amount', op: 'gte' as const, value: 600_000 }, true],
    [{ kind: 'form' as const, field: 'amount', op: 'lt' as const, value: 500_000 }, false],
    [{ kind: 'form' as const, field: 'kind', op: 'eq' as const, value: 'sick' }, true],
    [{ kind: 'form' as const, field: 'kind', op: 'in' as const, value: ['annual', 'sick'] }, true],
    [{ kind: 'form' as const, field: 'tags', op: 'in' as const, value: ['b'] }, true],
    [{ kind: 'form' as const, field: 'missing', op: 'gt' as const, value: 0 }, false],
    [{ kind: 'department' as const, departmentIds: ['sales'] }, true],
    [{ kind: 'department' as const, departmentIds: ['east'] }, true],
    [{ kind: 'department' as const, departmentIds: ['finance'] }, false],
    [{ kind: 'role' as const, roleKeys: ['finance', 'sales'] }, true],
    [{ kind: 'role' as const, roleKeys: ['admin'] }, false],
  ])('%j → %s', (condition, expected) => {
    expect(holds(condition, ctx)).toBe(expected)
  })

  it('ANDs the conditions of a branch', () => {
    expect(
      allHold(
        [
          { kind: 'form', field: 'days', op: 'gt', value: 3 },
          { kind: 'role', roleKeys: ['finance'] },
        ],
        ctx,
      ),
    ).toBe(false)
  })
})
