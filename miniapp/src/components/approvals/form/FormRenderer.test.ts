import { flushPromises, mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { defineComponent, h, ref } from 'vue'
import { createAppI18n } from '@/i18n'
import FormRenderer from './FormRenderer.vue'
import {
  type DraftValues,
  emptyValues,
  type FormField,
  parseMoneyCents,
  rangeDays,
  toDraft,
  toSubmission,
  validateDraft,
} from './form-model'

const fields: FormField[] = [
  { key: 'reason', label: '事由', type: 'text', required: true, maxLength: 10 },
  { key: 'detail', label: '说明', type: 'textarea' },
  { key: 'people', label: '人数', type: 'number', min: 1, max: 10 },
  { key: 'amount', label: '金额', type: 'money', required: true, max: 1_000_000 },
  { key: 'day', label: '日期', type: 'date' },
  { key: 'period', label: '请假时间', type: 'dateRange', required: true },
  {
    key: 'kind',
    label: '类型',
    type: 'select',
    required: true,
    options: [
      { value: 'annual', label: '年假' },
      { value: 'sick', label: '病假' },
    ],
  },
  {
    key: 'tags',
    label: '标签',
    type: 'multiselect',
    options: [
      { value: 'a', label: 'A' },
      { value: 'b', label: 'B' },
    ],
  },
  { key: 'handover', label: '工作交接人', type: 'user' },
  { key: 'dept', label: '部门', type: 'department' },
  { key: 'files', label: '附件', type: 'attachment' },
  { key: 'photos', label: '图片', type: 'image' },
  { key: 'customer', label: '客户', type: 'customer' },
  { key: 'opportunity', label: '商机', type: 'opportunity' },
  { key: 'contract', label: '合同', type: 'contract' },
]

function mountForm(options: { serverErrors?: Record<string, string>; search?: boolean } = {}) {
  const values = ref<DraftValues>(emptyValues(fields))
  const searchRef = vi.fn(async (_kind: string, q: string) => [{ id: 'cus_1', label: `华东精密 (${q})` }])
  const exposed = ref<{ validate(): boolean } | null>(null)
  const Host = defineComponent({
    setup() {
      return () =>
        h(FormRenderer, {
          ref: (el) => {
            exposed.value = el as unknown as { validate(): boolean }
          },
          fields,
          modelValue: values.value,
          'onUpdate:modelValue': (v: DraftValues) => {
            values.value = v
          },
          serverErrors: options.serverErrors,
          searchRef: options.search ? searchRef : undefined,
        })
    },
  })
  const wrapper = mount(Host, { global: { plugins: [createAppI18n()] }, attachTo: document.body })
  const validate = () => {
    if (!exposed.value) throw new Error('not mounted')
    return exposed.value.validate()
  }
  const field = (key: string) => wrapper.find(`[data-field="${key}"]`)
  return { wrapper, values, validate, field, searchRef }
}

describe('FormRenderer', () => {
  it('renders an input for every field type the engine supports', () => {
    const { field } = mountForm()
    for (const f of fields) expect(field(f.key).exists(), f.key).toBe(true)
    expect(field('reason').find('input').exists()).toBe(true)
    expect(field('detail').find('textarea').exists()).toBe(true)
    expect(field('amount').text()).toContain('元')
    expect(field('day').find('input[type="date"]').exists()).toBe(true)
    expect(field('period').findAll('input[type="date"]')).toHaveLength(2)
    expect(field('kind').findAll('.van-radio')).toHaveLength(2)
    expect(field('tags').findAll('.van-checkbox')).toHaveLength(2)
    expect(field('handover').find('.ref-field').exists()).toBe(true)
    expect(field('files').find('input[type="url"]').exists()).toBe(true)
    expect(field('photos').find('input[type="url"]').exists()).toBe(true)
  })

  it('shows required messages next to the fields and blocks submission', async () => {
    const { validate, field } = mountForm()
    expect(validate()).toBe(false)
    await flushPromises()
    expect(field('reason').text()).toContain('请填写事由')
    expect(field('amount').text()).toContain('请填写金额')
    expect(field('period').text()).toContain('请填写请假时间')
    expect(field('kind').text()).toContain('请填写类型')
    expect(field('detail').text()).not.toContain('请填写')
  })

  it('keeps text within maxLength and checks number ranges, money and date-range order', async () => {
    const { validate, field, values } = mountForm()
    await field('reason').find('input').setValue('这是一个超过十个字的很长的事由')
    await field('people').find('input').setValue('11')
    await field('amount').find('input').setValue('abc')
    const [start, end] = field('period').findAll('input[type="date"]')
    await start?.setValue('2026-12-05')
    await end?.setValue('2026-12-01')
    expect(validate()).toBe(false)
    await flushPromises()
    // The input itself stops at maxLength, so the text never runs over.
    expect(values.value.reason).toBe('这是一个超过十个字的')
    expect(field('people').text()).toContain('人数不能大于 10')
    expect(field('amount').text()).toContain('金额必须是数字')
    expect(field('period').text()).toContain('结束时间不能早于开始时间')
    expect(values.value.period).toEqual({ start: '2026-12-05', end: '2026-12-01' })
  })

  it('computes the duration of a date range as the user picks it', async () => {
    const { field } = mountForm()
    const [start, end] = field('period').findAll('input[type="date"]')
    await start?.setValue('2026-12-01')
    await end?.setValue('2026-12-05')
    expect(field('period').find('[data-testid="duration"]').text()).toBe('共 5 天')
  })

  it('produces the submission the bot expects: money in cents, numbers, ranges, options, refs, files', async () => {
    const { validate, field, values, searchRef } = mountForm({ search: true })
    await field('reason').find('input').setValue('出差')
    await field('people').find('input').setValue('3')
    await field('amount').find('input').setValue('5,000.5')
    const [start, end] = field('period').findAll('input[type="date"]')
    await start?.setValue('2026-12-01')
    await end?.setValue('2026-12-03')
    await field('kind').findAll('.van-radio')[1]?.trigger('click')
    await field('tags').findAll('.van-checkbox')[0]?.trigger('click')
    await field('customer').find('input').setValue('hdjm')
    await vi.waitFor(() => expect(field('customer').find('.ref-field__option').exists()).toBe(true))
    expect(searchRef).toHaveBeenCalledWith('customer', 'hdjm')
    await field('customer').find('.ref-field__option').trigger('click')
    await field('files').find('input[type="url"]').setValue('https://files.example.com/plan%20v2.pdf')
    await field('files').find('input[type="url"]').trigger('keydown', { key: 'Enter' })

    expect(validate()).toBe(true)
    expect(toSubmission(fields, values.value)).toEqual({
      reason: '出差',
      people: 3,
      amount: 500_050,
      period: { start: '2026-12-01', end: '2026-12-03' },
      kind: 'sick',
      tags: ['a'],
      customer: 'cus_1',
      files: [{ key: 'https://files.example.com/plan%20v2.pdf', name: 'plan v2.pdf', url: 'https://files.example.com/plan%20v2.pdf' }],
    })
  })

  it('shows the bot’s field errors in place', () => {
    const { field } = mountForm({ serverErrors: { amount: '金额：must be ≤ 1000000' } })
    expect(field('amount').text()).toContain('金额：must be ≤ 1000000')
  })

  it('takes a typed id for reference kinds without a search', async () => {
    const { field, values } = mountForm()
    await field('handover').find('input').setValue('usr_42')
    expect(values.value.handover).toBe('usr_42')
  })
})

describe('form model', () => {
  it('words a too-long text for the field', () => {
    const i18n = createAppI18n()
    const t = (key: string, values?: Record<string, unknown>) => i18n.global.t(key, values ?? {})
    const errors = validateDraft(fields, { ...emptyValues(fields), reason: '一二三四五六七八九十十一' }, t as never, 'zh-CN')
    expect(errors.reason).toBe('事由最多 10 个字')
  })

  it('parses money into integer cents', () => {
    expect(parseMoneyCents('5000')).toBe(500_000)
    expect(parseMoneyCents('¥1,234.5')).toBe(123_450)
    expect(parseMoneyCents('0.07')).toBe(7)
    expect(parseMoneyCents('1.234')).toBeNull()
    expect(parseMoneyCents('-1')).toBeNull()
  })

  it('counts range days inclusively and rejects impossible dates', () => {
    expect(rangeDays({ start: '2026-02-27', end: '2026-03-01' })).toBe(3)
    expect(rangeDays({ start: '2026-02-30', end: '2026-03-01' })).toBeNull()
  })

  it('turns a stored form back into drafts that submit to the same form', () => {
    const stored = {
      reason: '拜访',
      people: 3,
      amount: 128_050,
      period: { start: '2026-12-01', end: '2026-12-03', days: 3 },
      kind: 'sick',
      tags: ['a'],
      handover: 'usr_zw',
      dept: 'd_east',
      files: [{ key: 'tenants/t/f/1.pdf', name: '1.pdf' }],
      customer: 'cus_1',
    }
    const drafts = toDraft(fields, stored)
    expect(drafts.amount).toBe('1280.50')
    expect(drafts.people).toBe('3')
    expect(drafts.period).toEqual({ start: '2026-12-01', end: '2026-12-03' })
    expect(drafts.detail).toBe('')
    expect(drafts.photos).toEqual([])
    const { period, ...rest } = stored
    expect(toSubmission(fields, drafts)).toEqual({ ...rest, period: { start: period.start, end: period.end } })
  })
})

