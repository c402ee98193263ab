import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createApiClient, installApiClient } from '@/api'
import type { SessionUser } from '@/api/contract'
import { applyLocale, createAppI18n } from '@/i18n'
import { displayTimeZone, setDisplayTimeZone } from '@/lib/time-zone'
import { useSessionStore } from '@/stores/session'
import { fakeFetch, jsonResponse, type RecordedCall } from '@/testing/http'
import TimeZoneSetting from './TimeZoneSetting.vue'

const base: SessionUser = {
  id: 'usr_1',
  name: '刘洋',
  roles: ['sales'],
  timeZone: 'Asia/Shanghai',
  timeZoneSource: 'company',
  companyTimeZone: 'Asia/Shanghai',
}

async function mountSetting(user: SessionUser, answers: Array<(call: RecordedCall) => Response>, locale: 'zh-CN' | 'en' = 'zh-CN') {
  const { fetch, calls } = fakeFetch(...(answers.length ? answers : [() => jsonResponse(500, {})]))
  installApiClient(createApiClient({ baseUrl: 'http://bot.test', fetch, getToken: () => 'tok', onUnauthorized: async () => false }))
  const pinia = createPinia()
  setActivePinia(pinia)
  const session = useSessionStore()
  session.setSession({ token: 'tok', expiresAt: new Date(Date.now() + 3_600_000).toISOString(), user })
  const i18n = createAppI18n()
  await applyLocale(i18n.global, locale, { persist: false })
  const wrapper = mount(TimeZoneSetting, { global: { plugins: [i18n, pinia] } })
  await flushPromises()
  const select = wrapper.find<HTMLSelectElement>('[data-testid="me-time-zone-select"]')
  return { wrapper, calls, session, select }
}

describe('TimeZoneSetting (我的 → 时区)', () => {
  beforeEach(() => localStorage.clear())
  afterEach(() => {
    installApiClient(null)
    setDisplayTimeZone(null)
  })

  it('shows the company’s zone when following it, and sets one’s own: saved, and times follow it', async () => {
    const berlin = { ...base, timeZone: 'Europe/Berlin', timeZoneSource: 'own' as const }
    const { wrapper, calls, session, select } = await mountSetting(base, [() => jsonResponse(200, berlin)])
    expect(wrapper.text()).toContain('时区')
    expect(select.element.value).toBe('')
    expect(select.find('option').text()).toBe('跟随公司（Asia/Shanghai）')
    expect(wrapper.get('[data-testid="me-time-zone-now"]').text()).toContain('Asia/Shanghai')
    expect(wrapper.get('[data-testid="me-time-zone-source"]').text()).toBe('跟随公司的时区，管理员修改后随之改变')

    await select.setValue('Europe/Berlin')
    await flushPromises()
    expect(calls.map((c) => [c.method, new URL(c.url).pathname, JSON.parse(c.body)])).toEqual([
      ['PUT', '/api/v1/me/time-zone', { timeZone: 'Europe/Berlin' }],
    ])
    expect(session.user?.timeZone).toBe('Europe/Berlin')
    expect(displayTimeZone()).toBe('Europe/Berlin')
    expect(select.element.value).toBe('Europe/Berlin')
    expect(wrapper.get('[data-testid="me-time-zone-now"]').text()).toContain('Europe/Berlin')
    expect(wrapper.get('[data-testid="me-time-zone-source"]').text()).toContain('自己选择的时区')
  })

  it('goes back to following the company with null', async () => {
    const own = { ...base, timeZone: 'Asia/Tokyo', timeZoneSource: 'own' as const }
    const { calls, select, session } = await mountSetting(own, [() => jsonResponse(200, base)])
    expect(select.element.value).toBe('Asia/Tokyo')
    await select.setValue('')
    await flushPromises()
    expect(JSON.parse(calls[0]?.body ?? '{}')).toEqual({ timeZone: null })
    expect(session.user?.timeZoneSource).toBe('company')
    expect(displayTimeZone()).toBe('Asia/Shanghai')
  })

  it('shows the bot’s refusal next to the field and keeps the zone as saved', async () => {
    const { wrapper, select, session } = await mountSetting(base, [
      () =>
        jsonResponse(400, {
          error: { code: 'invalid_input', message: '时区「Asia/Nowhere」不存在', requestId: 'r1', field: 'timeZone' },
        }),
    ])
    await select.setValue('UTC')
    await flushPromises()
    expect(wrapper.text()).toContain('时区「Asia/Nowhere」不存在')
    expect(select.element.value).toBe('')
    expect(session.user?.timeZoneSource).toBe('company')
  })

  it('says where a directory zone comes from, in English too', async () => {
    const fromDirectory = { ...base, timeZone: 'Asia/Singapore', timeZoneSource: 'directory' as const }
    const { wrapper, select } = await mountSetting(fromDirectory, [], 'en')
    expect(wrapper.text()).toContain('Time zone')
    expect(select.element.value).toBe('Asia/Singapore')
    expect(select.find('option').text()).toBe('Follow the company (Asia/Shanghai)')
    expect(wrapper.get('[data-testid="me-time-zone-source"]').text()).toContain('From the directory')
    expect(wrapper.text()).not.toMatch(/[\u4e00-\u9fff]/)
  })

  it('asks the bot where the zone comes from when the stored session predates it', async () => {
    const stale: SessionUser = { id: 'usr_1', name: '刘洋', roles: ['sales'], timeZone: 'Asia/Shanghai' }
    const fresh = { ...base, timeZone: 'Asia/Tokyo', timeZoneSource: 'directory' as const }
    const { calls, select } = await mountSetting(stale, [() => jsonResponse(200, fresh)])
    expect(calls.map((c) => new URL(c.url).pathname)).toEqual(['/api/v1/me'])
    expect(select.element.value).toBe('Asia/Tokyo')
  })
})
