import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { createApiClient, installApiClient } from '@/api'
import { applyLocale, createAppI18n } from '@/i18n'
import { fakeFetch, jsonResponse, type RecordedCall } from '@/testing/http'
import DigestPrefs from './DigestPrefs.vue'

const saved = [
  { kind: 'morning', enabled: true, sendAt: '08:30', defaultSendAt: '08:30' },
  { kind: 'weekly', enabled: true, sendAt: '09:00', defaultSendAt: '09:00' },
]

async function mountPrefs(answers: Array<(call: RecordedCall) => Response>, locale: 'zh-CN' | 'en' = 'zh-CN') {
  const { fetch, calls } = fakeFetch(...answers)
  installApiClient(createApiClient({ baseUrl: 'http://bot.test', fetch, getToken: () => 'tok', onUnauthorized: async () => false }))
  const i18n = createAppI18n()
  if (locale === 'en') await applyLocale(i18n.global, 'en', { persist: false })
  const wrapper = mount(DigestPrefs, { global: { plugins: [i18n] } })
  await flushPromises()
  return { wrapper, calls }
}

describe('DigestPrefs (我的 → 聊天摘要)', () => {
  afterEach(() => installApiClient(null))

  it('shows my settings in Chinese and saves both digests as chosen', async () => {
    const { wrapper, calls } = await mountPrefs([
      () => jsonResponse(200, { items: saved }),
      (call) => {
        const body = JSON.parse(call.body) as { prefs: Array<Record<string, unknown>> }
        return jsonResponse(200, {
          items: saved.map((p, i) => ({ ...p, ...body.prefs[i] })),
        })
      },
    ])
    expect(calls[0]?.url).toBe('http://bot.test/api/v1/reports/digest-prefs')
    expect(wrapper.text()).toContain('聊天摘要')
    expect(wrapper.text()).toContain('每日晨报')
    expect(wrapper.text()).toContain('团队周报')
    expect(wrapper.find<HTMLInputElement>('[data-testid="digest-weekly-time"]').element.value).toBe('09:00')

    await wrapper.find('[data-testid="digest-morning-enabled"]').trigger('click')
    await wrapper.find('[data-testid="digest-weekly-time"]').setValue('10:15')
    // Off: its time is not asked for.
    expect(wrapper.find('[data-testid="digest-morning-time"]').exists()).toBe(false)
    await wrapper.find('form').trigger('submit')
    await flushPromises()

    expect(calls[1]?.method).toBe('PUT')
    expect(JSON.parse(calls[1]?.body ?? '{}')).toEqual({
      prefs: [
        { kind: 'morning', enabled: false, sendAt: '08:30' },
        { kind: 'weekly', enabled: true, sendAt: '10:15' },
      ],
    })
    expect(wrapper.find<HTMLInputElement>('[data-testid="digest-weekly-time"]').element.value).toBe('10:15')
  })

  it('shows the bot’s refusal under the digest it names', async () => {
    const { wrapper } = await mountPrefs([
      () => jsonResponse(200, { items: saved }),
      () =>
        jsonResponse(400, {
          error: {
            code: 'invalid_input',
            message: 'prefs.1.sendAt: a time as HH:MM, e.g. 08:30',
            requestId: 'r1',
            field: 'prefs.1.sendAt',
          },
        }),
    ])
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    const fields = wrapper.findAll('.van-field')
    expect(fields[1]?.text()).toContain('a time as HH:MM')
    expect(fields[0]?.text()).not.toContain('HH:MM')
  })

  it('speaks English when the app does', async () => {
    const { wrapper } = await mountPrefs([() => jsonResponse(200, { items: saved })], 'en')
    expect(wrapper.text()).toContain('Digests in chat')
    expect(wrapper.text()).toContain('Morning brief')
    expect(wrapper.text()).toContain('Team digest')
    expect(wrapper.text()).not.toContain('每日晨报')
  })
})
