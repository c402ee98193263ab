import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { createApiClient, installApiClient } from '@/api'
import { createAppI18n } from '@/i18n'
import { createAppRouter } from '@/router'
import { jsonResponse } from '@/testing/http'
import LeadNewPage from './LeadNewPage.vue'

const channel = (id: string, code: string, name: string) => ({ id, code, name, active: true })

describe('LeadNewPage', () => {
  afterEach(() => installApiClient(null))

  it('sends a lead saved before the channel list arrived, with the default channel, once the list is in', async () => {
    let answerChannels: () => void = () => {}
    const channelsArrive = new Promise<void>((r) => {
      answerChannels = r
    })
    const sent: Array<{ method: string; url: string; body: string }> = []
    const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      const request = input instanceof Request ? input : new Request(input, init)
      const url = new URL(request.url)
      sent.push({ method: request.method, url: url.pathname, body: await request.text() })
      if (url.pathname === '/api/v1/crm/channels') {
        await channelsArrive
        return jsonResponse(200, { items: [channel('chn_web', 'web', '官网'), channel('chn_phone', 'phone', '电话')] })
      }
      if (url.pathname === '/api/v1/crm/campaigns') return jsonResponse(200, { items: [] })
      if (url.pathname === '/api/v1/crm/leads' && request.method === 'POST')
        return jsonResponse(201, { outcome: 'created', lead: { id: 'led_1' }, duplicate: null })
      return jsonResponse(404, { error: { code: 'not_found', message: url.pathname, requestId: 'r' } })
    }
    installApiClient(createApiClient({ baseUrl: 'http://bot.test', fetch, getToken: () => 'tok', onUnauthorized: async () => false }))
    setActivePinia(createPinia())
    const router = createAppRouter({ session: { hasValidToken: () => true }, history: createMemoryHistory('/app/') })
    await router.push('/leads/new')
    const wrapper = mount(LeadNewPage, { global: { plugins: [createAppI18n(), router] } })
    await flushPromises()

    await wrapper.find('input[name="name"]').setValue('王五')
    await wrapper.find('input[name="phone"]').setValue('13900000003')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    // Nothing sent yet, and no "choose a channel" error: the save waits for the list.
    expect(sent.filter((c) => c.method === 'POST')).toHaveLength(0)
    expect(wrapper.text()).not.toContain('请选择')

    answerChannels()
    await flushPromises()
    const posts = sent.filter((c) => c.method === 'POST')
    expect(posts).toHaveLength(1)
    expect(JSON.parse(posts[0]?.body ?? '{}')).toMatchObject({ name: '王五', phone: '13900000003', channelId: 'chn_phone' })
    // Then to the new lead (its page loads lazily).
    await vi.waitFor(() => expect(router.currentRoute.value.path).toBe('/leads/led_1'))
  })
})
