import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { createApiClient, installApiClient } from '@/api'
import type { Customer } from '@/api/crm'
import { createAppI18n } from '@/i18n'
import { createAppRouter } from '@/router'
import { fakeFetch, jsonResponse, type RecordedCall } from '@/testing/http'
import CustomerEditPage from './CustomerEditPage.vue'

const customer: Customer = {
  id: 'cus_1',
  name: '华东精密',
  shortName: null,
  creditCode: null,
  phone: null,
  industry: '制造业',
  scale: null,
  tier: 'A',
  tags: ['重点'],
  provinceCode: null,
  cityCode: null,
  districtCode: null,
  region: '',
  address: null,
  lat: null,
  lng: null,
  source: null,
  customFields: {},
  owner: { id: 'usr_1', name: '刘洋', department: null },
  inPool: false,
  lastFollowedUpAt: null,
  reclaimDueAt: null,
  version: 3,
  createdAt: '2026-11-01T00:00:00.000Z',
  updatedAt: '2026-11-01T00:00:00.000Z',
}

async function mountEdit(...answers: Array<(call: RecordedCall) => Response>) {
  const { fetch, calls } = fakeFetch(...answers)
  installApiClient(createApiClient({ baseUrl: 'http://bot.test', fetch, getToken: () => 'tok', onUnauthorized: async () => false }))
  setActivePinia(createPinia())
  const router = createAppRouter({ session: { hasValidToken: () => true }, history: createMemoryHistory('/app/') })
  await router.push('/customers/cus_1/edit')
  const wrapper = mount(CustomerEditPage, { global: { plugins: [createAppI18n(), router] } })
  await flushPromises()
  const field = (name: string) => wrapper.find(`input[name="${name}"]`).element.closest('.van-field')
  return { wrapper, calls, router, field }
}

describe('CustomerEditPage', () => {
  afterEach(() => installApiClient(null))

  it('checks required and credit-code fields before sending, with the message next to the field', async () => {
    const { wrapper, calls, field } = await mountEdit(() => jsonResponse(200, customer))
    await wrapper.find('input[name="name"]').setValue('')
    await wrapper.find('input[name="creditCode"]').setValue('123')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(calls).toHaveLength(1)
    expect(field('name')?.textContent).toContain('请填写客户名称')
    expect(field('creditCode')?.textContent).toContain('请输入 18 位统一社会信用代码')
  })

  it('shows the bot’s own conflict message (who owns the duplicate), not a generic stale-edit text', async () => {
    const toast = vi.spyOn(await import('vant'), 'showToast')
    const { wrapper } = await mountEdit(
      () => jsonResponse(200, customer),
      () =>
        jsonResponse(409, {
          error: { code: 'conflict', message: '客户已存在，负责人 黄丽（华北销售组）', requestId: 'r2' },
        }),
    )
    await wrapper.find('input[name="phone"]').setValue('010-66596688')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(toast).toHaveBeenCalledWith('客户已存在，负责人 黄丽（华北销售组）')
    toast.mockRestore()
  })

  it('shows the bot’s error.field message next to that field', async () => {
    const { wrapper, calls, field } = await mountEdit(
      () => jsonResponse(200, customer),
      () =>
        jsonResponse(400, {
          error: { code: 'invalid_input', message: 'phone: too long', requestId: 'r1', field: 'phone' },
        }),
    )
    await wrapper.find('input[name="phone"]').setValue('021-12345678')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(calls[1]?.method).toBe('PATCH')
    expect(JSON.parse(calls[1]?.body ?? '{}')).toMatchObject({ name: '华东精密', phone: '021-12345678', tags: ['重点'], version: 3 })
    expect(field('phone')?.textContent).toContain('phone: too long')
    expect(field('name')?.textContent).not.toContain('phone')
  })

  it('saves and opens the customer card', async () => {
    const { wrapper, router } = await mountEdit(
      () => jsonResponse(200, customer),
      () => jsonResponse(200, { ...customer, tier: 'B', version: 4 }),
    )
    await wrapper.find('input[name="tier"]').setValue('B')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    // The card page is a lazy chunk; the navigation settles once it has loaded.
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/customers/cus_1'), { timeout: 3000 })
  })
})
