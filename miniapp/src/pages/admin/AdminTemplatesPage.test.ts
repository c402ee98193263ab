import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { createApiClient, installApiClient } from '@/api'
import { createAppI18n } from '@/i18n'
import { createAppRouter } from '@/router'
import { fakeFetch, jsonResponse } from '@/testing/http'
import AdminTemplatesPage from './AdminTemplatesPage.vue'

const template = (key: string, name: string) => ({
  id: `tpl_${key}`,
  key,
  name,
  nameEn: null,
  description: null,
  aliases: [],
  active: true,
  version: 1,
})

describe('AdminTemplatesPage (a refused toggle is said on its row)', () => {
  afterEach(() => installApiClient(null))

  it('shows the bot’s refusal on the template it concerns, not on the others, and clears it on the next toggle', async () => {
    let refuse = true
    const { fetch, calls } = fakeFetch((call) => {
      if (call.method === 'GET') return jsonResponse(200, { items: [template('leave', '请假'), template('expense', '报销')] })
      if (refuse)
        return jsonResponse(409, {
          error: { code: 'conflict', message: '模板「请假」有 3 个进行中的审批，停用后它们仍会走完', requestId: 'r1' },
        })
      return jsonResponse(200, {})
    })
    installApiClient(createApiClient({ baseUrl: 'http://bot.test', fetch, getToken: () => 'tok', onUnauthorized: async () => false }))
    setActivePinia(createPinia())
    const router = createAppRouter({ session: { hasValidToken: () => true }, history: createMemoryHistory('/app/') })
    await router.push('/admin/templates')
    const wrapper = mount(AdminTemplatesPage, { global: { plugins: [createAppI18n(), router] } })
    await flushPromises()

    await wrapper.find('[data-testid="template-active-leave"]').trigger('click')
    await flushPromises()
    expect(calls.some((c) => c.method === 'POST' && c.url.endsWith('/admin/approval-templates/leave/disable'))).toBe(true)
    expect(wrapper.find('[data-testid="template-error-leave"]').text()).toContain('3 个进行中的审批')
    expect(wrapper.find('[data-testid="template-error-expense"]').exists()).toBe(false)

    refuse = false
    await wrapper.find('[data-testid="template-active-expense"]').trigger('click')
    await flushPromises()
    expect(wrapper.find('[data-testid="template-error-leave"]').exists()).toBe(false)
  })
})
