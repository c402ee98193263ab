import { flushPromises, mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { defineComponent, h, ref } from 'vue'
import { createAppI18n } from '@/i18n'
import type { OrgOption } from '@/lib/org-search'
import PeoplePicker from './PeoplePicker.vue'

const people: OrgOption[] = [
  { id: 'usr_zw', label: '张伟', hint: '华东区 · 销售经理' },
  { id: 'usr_wf', label: '王芳', hint: '人事部' },
]

function mountPicker(
  multiple: boolean,
  initial: string[] = [],
  resolve?: (ids: string[]) => Promise<OrgOption[]>,
) {
  const model = ref<string[]>(initial)
  const search = vi.fn(async (q: string) => people.filter((p) => p.label.includes(q) || q === '*'))
  const Host = defineComponent({
    setup: () => () =>
      h(PeoplePicker, {
        label: '审批人',
        multiple,
        search,
        ...(resolve ? { resolve } : {}),
        modelValue: model.value,
        'onUpdate:modelValue': (v: string[]) => {
          model.value = v
        },
      }),
  })
  const wrapper = mount(Host, { global: { plugins: [createAppI18n()] } })
  return { wrapper, model, search }
}

async function type(wrapper: ReturnType<typeof mountPicker>['wrapper'], q: string) {
  await wrapper.find('input').setValue(q)
  await vi.waitFor(() => expect(wrapper.find('.people-picker__option, .people-picker__none').exists()).toBe(true))
  await flushPromises()
}

describe('PeoplePicker', () => {
  it('names the ids it opens with through resolve, once, and shows an id nobody can name', async () => {
    const resolve = vi.fn(async (ids: string[]) => people.filter((p) => ids.includes(p.id)))
    const { wrapper } = mountPicker(true, ['usr_zw', 'usr_gone'], resolve)
    await flushPromises()
    expect(resolve).toHaveBeenCalledTimes(1)
    expect(resolve).toHaveBeenCalledWith(['usr_zw', 'usr_gone'])
    expect(wrapper.findAll('.people-picker__tag').map((t) => t.text())).toEqual(['张伟', 'usr_gone'])
  })

  it('searches as you type and adds the picked people as tags, each once', async () => {
    const { wrapper, model, search } = mountPicker(true)
    await type(wrapper, '*')
    expect(search).toHaveBeenCalledWith('*')
    expect(wrapper.findAll('.people-picker__option').map((o) => o.text())).toEqual([
      '张伟华东区 · 销售经理',
      '王芳人事部',
    ])

    await wrapper.findAll('.people-picker__option')[0]?.trigger('click')
    expect(model.value).toEqual(['usr_zw'])
    expect((wrapper.find('input').element as HTMLInputElement).value).toBe('')

    await type(wrapper, '*')
    // Who is already chosen is not offered again.
    expect(wrapper.findAll('.people-picker__option').map((o) => o.text())).toEqual(['王芳人事部'])
    await wrapper.find('.people-picker__option').trigger('click')
    expect(model.value).toEqual(['usr_zw', 'usr_wf'])
    expect(wrapper.findAll('.people-picker__tag').map((t) => t.text())).toEqual(['张伟', '王芳'])
  })

  it('replaces the choice when only one person may be chosen', async () => {
    const { wrapper, model } = mountPicker(false)
    await type(wrapper, '张')
    await wrapper.find('.people-picker__option').trigger('click')
    await type(wrapper, '王')
    await wrapper.find('.people-picker__option').trigger('click')
    expect(model.value).toEqual(['usr_wf'])
  })

  it('removes a person with the tag’s close button', async () => {
    const { wrapper, model } = mountPicker(true)
    await type(wrapper, '*')
    await wrapper.findAll('.people-picker__option')[1]?.trigger('click')
    await wrapper.find('.people-picker__tag .van-tag__close').trigger('click')
    expect(model.value).toEqual([])
    expect(wrapper.find('.people-picker__tag').exists()).toBe(false)
  })

  it('says so when nobody matches', async () => {
    const { wrapper } = mountPicker(true)
    await type(wrapper, '赵')
    expect(wrapper.text()).toContain('无匹配结果')
  })
})
