import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { defineComponent, h, ref } from 'vue'
import { createAppI18n } from '@/i18n'
import FormRenderer from './FormRenderer.vue'
import { type DraftValues, displayValue, emptyValues, type FormField, toDraft, toSubmission, validateDraft } from './form-model'

// The default 报销 form's money and detail rows (as the bot publishes them).
const fields: FormField[] = [
  { key: 'amount', label: '报销金额', type: 'money', required: true, min: 1 },
  {
    key: 'items',
    label: '费用明细',
    type: 'table',
    columns: [
      { key: 'date', label: '日期', type: 'date' },
      { key: 'item', label: '项目', type: 'text', required: true },
      { key: 'amount', label: '金额', type: 'money', required: true, min: 1 },
    ],
    sumCheck: { column: 'amount', field: 'amount' },
  },
]

const i18n = createAppI18n()
const t = (key: string, values?: Record<string, unknown>) => i18n.global.t(key, values ?? {})

describe('table field in the mini-app form', () => {
  it('submits rows with money in cents, drops empty rows and cells, and reads them back', () => {
    const values: DraftValues = {
      amount: '1,250',
      items: [{ date: '2026-11-01', item: '高铁', amount: '553' }, {}, { item: '酒店', amount: '697.00', date: '' }],
    }
    const form = toSubmission(fields, values)
    expect(form).toEqual({
      amount: 125_000,
      items: [
        { date: '2026-11-01', item: '高铁', amount: 55_300 },
        { item: '酒店', amount: 69_700 },
      ],
    })
    expect(toDraft(fields, form).items).toEqual([
      { date: '2026-11-01', item: '高铁', amount: '553.00' },
      { item: '酒店', amount: '697.00' },
    ])
    expect(displayValue(fields[1] as FormField, form.items, 'zh-CN')).toBe('2 行，合计 ¥1,250.00')
  })

  it('checks the sum against the amount and each cell before sending, as the bot does', () => {
    const bad = validateDraft(fields, { amount: '1000', items: [{ item: '高铁', amount: '553' }] }, t as never, 'zh-CN')
    expect(bad.items).toContain('553.00')
    expect(bad.items).toContain('1000.00')
    const missing = validateDraft(fields, { amount: '553', items: [{ amount: '553' }] }, t as never, 'zh-CN')
    expect(missing.items).toContain('项目')
    expect(validateDraft(fields, { amount: '553', items: [{ item: '高铁', amount: '553' }] }, t as never, 'zh-CN')).toEqual({})
  })

  it('renders rows, adds one, and shows the running total', async () => {
    const Host = defineComponent({
      setup() {
        const values = ref<DraftValues>(emptyValues(fields))
        return () => h(FormRenderer, { fields, modelValue: values.value, 'onUpdate:modelValue': (v: DraftValues) => (values.value = v) })
      },
    })
    const wrapper = mount(Host, { global: { plugins: [createAppI18n()] }, attachTo: document.body })
    await wrapper.get('[data-testid="table-add"]').trigger('click')
    await wrapper.get('input[name="items.0.item"]').setValue('高铁')
    await wrapper.get('input[name="items.0.amount"]').setValue('553')
    await wrapper.get('[data-testid="table-add"]').trigger('click')
    await wrapper.get('input[name="items.1.amount"]').setValue('1000.5')
    expect(wrapper.get('[data-testid="table-total"]').text()).toContain('¥1,553.50')
    await wrapper.get('[data-remove="1"]').trigger('click')
    expect(wrapper.findAll('[data-row]')).toHaveLength(1)
    expect(wrapper.get('[data-testid="table-total"]').text()).toContain('¥553.00')
    wrapper.unmount()
  })
})
