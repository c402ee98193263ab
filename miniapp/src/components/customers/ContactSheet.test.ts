import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h, ref } from 'vue'
import { createApiClient, installApiClient } from '@/api'
import { createAppI18n } from '@/i18n'
import { fakeFetch, jsonResponse, type RecordedCall } from '@/testing/http'
import ContactSheet from './ContactSheet.vue'

const contact = {
  id: 'con_1',
  customerId: 'cus_1',
  name: '陈静',
  title: '采购经理',
  phone: '13800000000',
  email: null,
  wechat: null,
  decisionRole: 'decision_maker',
  isPrimary: true,
  notes: null,
}

function mountSheet(...answers: Array<(call: RecordedCall) => Response>) {
  const { fetch, calls } = fakeFetch(...answers)
  installApiClient(createApiClient({ baseUrl: 'http://bot.test', fetch, getToken: () => 'tok', onUnauthorized: async () => false }))
  const show = ref(true)
  const saved = vi.fn()
  const Host = defineComponent({
    setup: () => () =>
      h(ContactSheet, {
        customerId: 'cus_1',
        show: show.value,
        'onUpdate:show': (v: boolean) => {
          show.value = v
        },
        onSaved: saved,
      }),
  })
  mount(Host, { global: { plugins: [createAppI18n()] }, attachTo: document.body })
  const form = document.body.querySelector<HTMLFormElement>('[data-testid="contact-form"]')
  if (!form) throw new Error('no contact form')
  const fill = async (name: string, value: string) => {
    const input = form.querySelector<HTMLInputElement | HTMLTextAreaElement>(`[name="${name}"]`)
    if (!input) throw new Error(`no ${name}`)
    input.value = value
    input.dispatchEvent(new Event('input'))
    await flushPromises()
  }
  const submit = async () => {
    form.dispatchEvent(new Event('submit'))
    await flushPromises()
  }
  return { form, fill, submit, calls, show, saved }
}

describe('ContactSheet', () => {
  afterEach(() => {
    installApiClient(null)
    document.body.innerHTML = ''
  })

  it('adds a contact with their role and closes', async () => {
    const { form, fill, submit, calls, show, saved } = mountSheet(() => jsonResponse(200, contact))
    await fill('name', ' 陈静 ')
    await fill('title', '采购经理')
    await fill('phone', '13800000000')
    const role = [...form.querySelectorAll<HTMLElement>('.van-radio')].find((r) => r.textContent?.includes('决策人'))
    role?.click()
    form.querySelector<HTMLElement>('[data-testid="primary-switch"]')?.click()
    await flushPromises()
    await submit()

    expect(calls[0]?.url).toBe('http://bot.test/api/v1/crm/customers/cus_1/contacts')
    expect(JSON.parse(calls[0]?.body ?? '{}')).toEqual({
      name: '陈静',
      title: '采购经理',
      phone: '13800000000',
      email: null,
      wechat: null,
      notes: null,
      decisionRole: 'decision_maker',
      isPrimary: true,
    })
    expect(saved).toHaveBeenCalledWith(contact)
    expect(show.value).toBe(false)
  })

  it('checks the name and email before sending', async () => {
    const { form, fill, submit, calls } = mountSheet(() => jsonResponse(200, contact))
    await fill('email', 'not-an-email')
    await submit()
    expect(form.textContent).toContain('请填写姓名')
    expect(form.textContent).toContain('邮箱格式不正确')
    expect(calls).toHaveLength(0)
  })

  it('shows the bot’s message next to the field it names', async () => {
    const { form, fill, submit, show } = mountSheet(() =>
      jsonResponse(400, { error: { code: 'invalid_input', message: '电话号码太长', field: 'phone', requestId: 'req_1' } }),
    )
    await fill('name', '陈静')
    await fill('phone', '1'.repeat(30))
    await submit()
    expect(form.querySelector('[name="phone"]')?.closest('.van-field')?.textContent).toContain('电话号码太长')
    expect(show.value).toBe(true)
  })
})
