import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { createApiClient, installApiClient } from '@/api'
import { createAppI18n } from '@/i18n'
import { displayTimeZone, setDisplayTimeZone } from '@/lib/time-zone'
import { createAppRouter } from '@/router'
import { fakeFetch, jsonResponse, type RecordedCall } from '@/testing/http'
import AdminSettingsPage from './AdminSettingsPage.vue'

async function mountPage(...answers: Array<(call: RecordedCall) => Response>) {
  const { fetch, calls } = fakeFetch(...answers)
  installApiClient(createApiClient({ baseUrl: 'http://bot.test', fetch, getToken: () => 'tok', onUnauthorized: async () => false }))
  setActivePinia(createPinia())
  const router = createAppRouter({ session: { hasValidToken: () => true }, history: createMemoryHistory('/app/') })
  await router.push('/admin/settings')
  const wrapper = mount(AdminSettingsPage, { global: { plugins: [createAppI18n(), router] } })
  await flushPromises()
  return { wrapper, calls }
}

describe('AdminSettingsPage (the tenant time zone)', () => {
  afterEach(() => {
    installApiClient(null)
    setDisplayTimeZone(null)
  })

  it('shows the saved zone, saves a new one and shows times in it from then on', async () => {
    const { wrapper, calls } = await mountPage(
      () => jsonResponse(200, { timeZone: 'Asia/Shanghai' }),
      () => jsonResponse(200, { timeZone: 'Europe/Berlin' }),
    )
    const select = wrapper.find<HTMLSelectElement>('[data-testid="time-zone"]')
    expect(select.element.value).toBe('Asia/Shanghai')
    await select.setValue('Europe/Berlin')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(calls[1]?.method).toBe('PUT')
    expect(JSON.parse(calls[1]?.body ?? '{}')).toEqual({ timeZone: 'Europe/Berlin' })
    expect(displayTimeZone()).toBe('Europe/Berlin')
  })

  it('shows the bot’s refusal next to the field and keeps the display zone', async () => {
    setDisplayTimeZone('Asia/Shanghai')
    const { wrapper } = await mountPage(
      () => jsonResponse(200, { timeZone: 'Asia/Shanghai' }),
      () =>
        jsonResponse(400, {
          error: { code: 'invalid_input', message: '未知时区 Mars/Base', requestId: 'r1', field: 'timeZone' },
        }),
    )
    await wrapper.find('[data-testid="time-zone"]').setValue('UTC')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(wrapper.text()).toContain('未知时区 Mars/Base')
    expect(displayTimeZone()).toBe('Asia/Shanghai')
  })
})
