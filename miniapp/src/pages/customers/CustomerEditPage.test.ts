import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { createApiClient, installApiClient } from '@/api'
import { appContextKey } from '@/app-context'
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

interface MountOptions {
  maps?: boolean
  here?: { lat: number; lng: number }
}

async function mountEdit(...args: Array<((call: RecordedCall) => Response) | MountOptions>) {
  const options = (args.find((a) => typeof a !== 'function') ?? {}) as MountOptions
  const answers = args.filter((a): a is (call: RecordedCall) => Response => typeof a === 'function')
  // Whether a map service is configured is asked on mount; every other call takes the next answer in turn.
  const queued = fakeFetch(...answers)
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = input instanceof Request ? input.url : String(input)
    if (url.includes('/crm/geocode/status')) return jsonResponse(200, { configured: options.maps ?? false })
    return queued.fetch(input, init)
  }
  installApiClient(createApiClient({ baseUrl: 'http://bot.test', fetch, getToken: () => 'tok', onUnauthorized: async () => false }))
  setActivePinia(createPinia())
  const router = createAppRouter({ session: { hasValidToken: () => true }, history: createMemoryHistory('/app/') })
  await router.push('/customers/cus_1/edit')
  const bridge = {
    getLocation: vi.fn(async () => ({ ...(options.here ?? { lat: 31.2304, lng: 121.4737 }), accuracy: 12 })),
  }
  const wrapper = mount(CustomerEditPage, {
    global: { plugins: [createAppI18n(), router], provide: { [appContextKey as symbol]: { bridge } } },
  })
  await flushPromises()
  const field = (name: string) => wrapper.find(`input[name="${name}"]`).element.closest('.van-field')
  return { wrapper, calls: queued.calls, router, field, bridge }
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
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/customers/cus_1'), { timeout: 20000 })
  }, 30_000)

  it('sets the location from the device on site when no map service is configured, and sends it', async () => {
    const { wrapper, calls, bridge } = await mountEdit(
      { maps: false, here: { lat: 22.5408, lng: 114.0648 } },
      () => jsonResponse(200, customer),
      () => jsonResponse(200, { ...customer, lat: 22.5408, lng: 114.0648, version: 4 }),
    )
    expect(wrapper.find('[data-testid="locate-address"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="customer-location"]').text()).toContain('未设置位置')
    await wrapper.find('[data-testid="locate-here"]').trigger('click')
    await flushPromises()
    expect(bridge.getLocation).toHaveBeenCalledOnce()
    expect(wrapper.find('[data-testid="location-set"]').text()).toContain('已设置位置')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(calls[1]?.method).toBe('PATCH')
    expect(JSON.parse(calls[1]?.body ?? '{}')).toMatchObject({ lat: 22.5408, lng: 114.0648, districtCode: null })
  })

  it('looks the address up through the map service and fills the region from the match', async () => {
    const { wrapper, calls } = await mountEdit(
      { maps: true },
      () => jsonResponse(200, customer),
      () =>
        jsonResponse(200, {
          lat: 22.540503,
          lng: 114.064621,
          address: '广东省深圳市福田区深南大道6008号',
          districtCode: '440304',
        }),
      () => jsonResponse(200, { ...customer, version: 4 }),
    )
    await wrapper.find('input[name="address"]').setValue('深南大道6008号')
    await wrapper.find('[data-testid="locate-address"]').trigger('click')
    await flushPromises()
    await vi.waitFor(() => expect((wrapper.find('input[name="region"]').element as HTMLInputElement).value).toBe('广东省 深圳市 福田区'), { timeout: 15000 })
    expect(calls[1]?.url).toContain('/crm/geocode?address=')
    expect(decodeURIComponent(calls[1]?.url ?? '')).toContain('深南大道6008号')
    expect(wrapper.find('[data-testid="location-set"]').text()).toContain('广东省深圳市福田区深南大道6008号')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(JSON.parse(calls[2]?.body ?? '{}')).toMatchObject({
      address: '深南大道6008号',
      provinceCode: '440000',
      cityCode: '440300',
      districtCode: '440304',
      lat: 22.540503,
      lng: 114.064621,
    })
  }, 30_000)

  it('shows the map service’s refusal (address not found) and keeps the form as it was', async () => {
    const toast = vi.spyOn(await import('vant'), 'showToast')
    const { wrapper } = await mountEdit(
      { maps: true },
      () => jsonResponse(200, customer),
      () =>
        jsonResponse(404, {
          error: { code: 'not_found', message: '没有找到「火星路1号」的位置 / no location found', requestId: 'r3', field: 'address' },
        }),
    )
    await wrapper.find('input[name="address"]').setValue('火星路1号')
    await wrapper.find('[data-testid="locate-address"]').trigger('click')
    await flushPromises()
    expect(toast).toHaveBeenCalledWith('没有找到「火星路1号」的位置')
    expect(wrapper.find('[data-testid="location-set"]').exists()).toBe(false)
    toast.mockRestore()
  })
})
