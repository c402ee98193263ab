import { describe, expect, it } from 'vitest'
import { DomainError } from '../../errors'
import { checkDefinition } from '../create-template'
import { expenseTemplate } from '../default-templates'
import type { FormField } from '../schemas'
import { displayValue, validateForm } from './form'

const expenseForm = (): FormField[] => checkDefinition(expenseTemplate()).form

const errorOf = (fn: () => unknown): { field?: string; message: string } | undefined => {
  try {
    fn()
  } catch (err) {
    if (err instanceof DomainError) return { field: err.details.field, message: err.message }
    throw err
  }
  return undefined
}

const base = { category: 'travel', date: '2026-11-02', description: '出差北京' }

describe('table (detail rows) field', () => {
  it('normalises rows cell by cell and keeps the sum when it matches the amount', () => {
    const { values } = validateForm(expenseForm(), {
      ...base,
      amount: 125_000,
      items: [
        { date: '2026-11-01', item: ' 高铁 ', amount: 55_300, junk: 'dropped' },
        { item: '酒店', amount: 69_700 },
      ],
    })
    expect(values.items).toEqual([
      { date: '2026-11-01', item: '高铁', amount: 55_300 },
      { item: '酒店', amount: 69_700 },
    ])
  })

  it('refuses rows that do not add up to the amount, naming the table field and both sums', () => {
    const err = errorOf(() =>
      validateForm(expenseForm(), {
        ...base,
        amount: 125_000,
        items: [
          { item: '高铁', amount: 55_300 },
          { item: '酒店', amount: 60_000 },
        ],
      }),
    )
    expect(err?.field).toBe('form.items')
    expect(err?.message).toContain('¥1,153.00')
    expect(err?.message).toContain('¥1,250.00')
  })

  it('names the cell of a bad or missing value, and the table when it is not a list or too long', () => {
    const form = expenseForm()
    expect(
      errorOf(() => validateForm(form, { ...base, amount: 100, items: [{ item: 'x', amount: 1.5 }] }))?.field,
    ).toBe('form.items.0.amount')
    expect(errorOf(() => validateForm(form, { ...base, amount: 100, items: [{ amount: 100 }] }))?.field).toBe(
      'form.items.0.item',
    )
    expect(
      errorOf(() =>
        validateForm(form, { ...base, amount: 100, items: [{ item: 'x', amount: 100, date: '2026-02-30' }] }),
      )?.field,
    ).toBe('form.items.0.date')
    expect(errorOf(() => validateForm(form, { ...base, amount: 100, items: 'rows' }))?.field).toBe(
      'form.items',
    )
    expect(errorOf(() => validateForm(form, { ...base, amount: 100, items: ['row'] }))?.field).toBe(
      'form.items.0',
    )
    const many = Array.from({ length: 51 }, () => ({ item: 'x', amount: 2 }))
    expect(errorOf(() => validateForm(form, { ...base, amount: 102, items: many }))?.field).toBe('form.items')
  })

  it('leaves an optional empty table out without a sum check', () => {
    const { values } = validateForm(expenseForm(), { ...base, amount: 9_900, items: [] })
    expect(values.items).toBeUndefined()
  })

  it('shows a table on cards as its row count and total', () => {
    const field = expenseForm().find((f) => f.key === 'items') as FormField
    const rows = [
      { item: '高铁', amount: 55_300 },
      { item: '酒店', amount: 69_700 },
    ]
    expect(displayValue(field, rows, 'zh-CN')).toBe('2 行，合计 ¥1,250.00')
    expect(displayValue(field, rows, 'en')).toBe('2 rows, total ¥1,250.00')
  })

  it('refuses a template whose table has no columns, a select column without options or a bad sum check', () => {
    const t = (items: Partial<FormField>) => ({
      ...expenseTemplate(),
      form: expenseTemplate().form.map((f) => (f.key === 'items' ? { ...f, ...items } : f)),
    })
    expect(errorOf(() => checkDefinition(t({ columns: undefined })))?.field).toBe('form.items.columns')
    expect(
      errorOf(() =>
        checkDefinition(t({ columns: [{ key: 'k', label: 'K', type: 'select' }], sumCheck: undefined })),
      )?.field,
    ).toBe('form.items.columns.k')
    expect(errorOf(() => checkDefinition(t({ sumCheck: { column: 'item', field: 'amount' } })))?.field).toBe(
      'form.items.sumCheck.column',
    )
    expect(
      errorOf(() => checkDefinition(t({ sumCheck: { column: 'amount', field: 'description' } })))?.field,
    ).toBe('form.items.sumCheck.field')
  })
})
