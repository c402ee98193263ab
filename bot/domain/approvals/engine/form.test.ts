import { describe, expect, it } from 'vitest'
import { DomainError } from '../../errors'
import type { FormField } from '../schemas'
import { displayValue, rangeDays, validateForm } from './form'

const fields: FormField[] = [
  { key: 'title', label: '标题', type: 'text', required: true, maxLength: 10 },
  { key: 'amount', label: '金额', type: 'money', max: 100_000_00 },
  { key: 'count', label: '数量', type: 'number', min: 1 },
  { key: 'day', label: '日期', type: 'date' },
  { key: 'range', label: '时间', type: 'dateRange' },
  {
    key: 'kind',
    label: '类型',
    type: 'select',
    options: [
      { value: 'a', label: '甲' },
      { value: 'b', label: '乙' },
    ],
  },
  {
    key: 'tags',
    label: '标签',
    type: 'multiselect',
    options: [
      { value: 'x', label: 'X' },
      { value: 'y', label: 'Y' },
    ],
  },
  { key: 'who', label: '人员', type: 'user' },
  { key: 'files', label: '附件', type: 'attachment' },
  { key: 'deal', label: '合同', type: 'contract' },
]

const fieldOf = (fn: () => unknown): string | undefined => {
  try {
    fn()
  } catch (err) {
    if (err instanceof DomainError) return err.details.field
    throw err
  }
  return undefined
}

describe('validateForm', () => {
  it('normalises valid values and computes the days of a range', () => {
    const { values, references } = validateForm(fields, {
      title: ' 出差 ',
      amount: 12345,
      count: 2,
      day: '2026-02-28',
      range: { start: '2026-12-30', end: '2027-01-02', days: 99 },
      kind: 'a',
      tags: ['x', 'x', 'y'],
      who: 'usr_1',
      files: [{ key: 'f1', name: 'a.pdf', size: 3, extra: 1 }],
      deal: 'ctr_1',
      unknown: 'dropped',
    })
    expect(values).toEqual({
      title: '出差',
      amount: 12345,
      count: 2,
      day: '2026-02-28',
      range: { start: '2026-12-30', end: '2027-01-02', days: 4 },
      kind: 'a',
      tags: ['x', 'y'],
      who: 'usr_1',
      files: [{ key: 'f1', name: 'f1' }],
      deal: 'ctr_1',
    })
    expect(references).toEqual([
      { field: 'form.who', kind: 'user', id: 'usr_1' },
      { field: 'form.files.0', kind: 'file', id: 'f1' },
      { field: 'form.deal', kind: 'contract', id: 'ctr_1' },
    ])
  })

  it.each([
    [{}, 'form.title'],
    [{ title: 'x'.repeat(11) }, 'form.title'],
    [{ title: 't', amount: '100' }, 'form.amount'],
    [{ title: 't', amount: 1.5 }, 'form.amount'],
    [{ title: 't', amount: -1 }, 'form.amount'],
    [{ title: 't', amount: 100_000_01 }, 'form.amount'],
    [{ title: 't', count: 0 }, 'form.count'],
    [{ title: 't', day: '2026-13-01' }, 'form.day'],
    [{ title: 't', range: { start: '2026-12-02', end: '2026-12-01' } }, 'form.range.end'],
    [{ title: 't', range: { start: 'soon', end: '2026-12-01' } }, 'form.range.start'],
    [{ title: 't', kind: 'c' }, 'form.kind'],
    [{ title: 't', tags: ['x', 'z'] }, 'form.tags'],
    [{ title: 't', tags: 'x' }, 'form.tags'],
    [{ title: 't', files: [{ name: 'k' }] }, 'form.files.0'],
    [{ title: 't', files: ['a', 7] }, 'form.files.1'],
    [{ title: 't', deal: 42 }, 'form.deal'],
  ])('refuses %j naming %s', (input, field) => {
    expect(fieldOf(() => validateForm(fields, input))).toBe(field)
  })

  it('counts inclusive days across months and refuses impossible dates', () => {
    expect(rangeDays('2026-12-01', '2026-12-05')).toBe(5)
    expect(rangeDays('2026-02-28', '2026-03-01')).toBe(2)
    expect(rangeDays('2026-02-29', '2026-03-01')).toBeNull()
  })

  it('displays money in yuan and ranges with their days', () => {
    expect(displayValue({ key: 'a', label: 'a', type: 'money' }, 500_000, 'zh-CN')).toBe('¥5,000.00')
    expect(
      displayValue(
        { key: 'r', label: 'r', type: 'dateRange' },
        { start: '2026-12-01', end: '2026-12-05', days: 5 },
        'zh-CN',
      ),
    ).toBe('2026-12-01 ~ 2026-12-05（5 天）')
  })
})
