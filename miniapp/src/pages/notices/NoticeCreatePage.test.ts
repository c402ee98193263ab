import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { createApiClient, installApiClient } from '@/api'
import { createAppI18n } from '@/i18n'
import { toLocalInput } from '@/lib/datetime'
import { createAppRouter } from '@/router'
import { fakeFetch, jsonResponse } from '@/testing/http'
import NoticeCreatePage from './NoticeCreatePage.vue'

async function mountPage() {
  const { fetch, calls } = fakeFetch(
    () => jsonResponse(201, { id: 'ntc_9' }),
    () => jsonResponse(404, { error: { code: 'not_found', message: 'x' } }),
  )
  installApiClient(createApiClient({ baseUrl: 'http://bot.test', fetch, getToken: () => 'tok', onUnauthorized: async () => false }))
  setActivePinia(createPinia())
  const router = createAppRouter({ session: { hasValidToken: () => true }, history: createMemoryHistory('/app/') })
  await router.push('/notices/new')
  const wrapper = mount(NoticeCreatePage, { global: { plugins: [createAppI18n(), router] }, attachTo: document.body })
  await flushPromises()
  return { wrapper, calls, router }
}

describe('NoticeCreatePage', () => {
  afterEach(() => {
    installApiClient(null)
    document.body.innerHTML = ''
  })

  it('creates a notice that publishes itself at the chosen time', async () => {
    const { wrapper, calls, router } = await mountPage()
    await wrapper.find('input[name="title"]').setValue('年会通知')
    await wrapper.find('textarea[name="body"]').setValue('12 月 20 日晚')
    await wrapper.find('[data-testid="schedule-switch"]').trigger('click')
    expect(wrapper.find('button[type="submit"]').text()).toBe('定时发布')

    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(wrapper.text()).toContain('请选择')
    expect(calls).toHaveLength(0)

    const later = new Date(Date.now() + 86_400_000)
    await wrapper.find('input[name="scheduledAt"]').setValue(toLocalInput(later))
    await wrapper.find('form').trigger('submit')
    await vi.waitFor(() => expect(calls).toHaveLength(1))
    const body = JSON.parse(calls[0]?.body ?? '{}') as Record<string, unknown>
    expect(body).toMatchObject({ title: '年会通知', publish: 'draft', audience: { everyone: true } })
    expect(Math.abs(new Date(String(body.scheduledAt)).getTime() - later.getTime())).toBeLessThan(60_000)
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/notices/ntc_9'))
  })

  it('publishes at once when no time is set', async () => {
    const { wrapper, calls } = await mountPage()
    await wrapper.find('input[name="title"]').setValue('停电通知')
    await wrapper.find('textarea[name="body"]').setValue('周六停电')
    await wrapper.find('form').trigger('submit')
    await vi.waitFor(() => expect(calls).toHaveLength(1))
    const body = JSON.parse(calls[0]?.body ?? '{}') as Record<string, unknown>
    expect(body.publish).toBe('now')
    expect(body.scheduledAt).toBeUndefined()
  })

  it('sends a notice to chosen departments and people found in the org directory', async () => {
    const { fetch, calls } = fakeFetch((call) => {
      const url = new URL(call.url)
      if (url.pathname === '/api/v1/org/departments')
        return jsonResponse(200, {
          items: [{ id: 'd_sales', name: '销售部', parentId: null, leader: null, memberCount: 3, children: [] }],
        })
      if (url.pathname === '/api/v1/org/people')
        return jsonResponse(200, {
          items: [{ id: 'usr_wf', name: '王芳', enName: null, jobTitle: null, avatarUrl: null, departmentId: null, departmentName: '人事部' }],
        })
      return jsonResponse(201, { id: 'ntc_9' })
    })
    installApiClient(createApiClient({ baseUrl: 'http://bot.test', fetch, getToken: () => 'tok', onUnauthorized: async () => false }))
    setActivePinia(createPinia())
    const router = createAppRouter({ session: { hasValidToken: () => true }, history: createMemoryHistory('/app/') })
    await router.push('/notices/new')
    const wrapper = mount(NoticeCreatePage, { global: { plugins: [createAppI18n(), router] }, attachTo: document.body })
    await flushPromises()
    await wrapper.find('input[name="title"]').setValue('销售例会')
    await wrapper.find('textarea[name="body"]').setValue('周一 9 点')
    const chosen = wrapper.findAll('[data-testid="audience-kind"] .van-radio').find((r) => r.text() === '指定部门或人员')
    await chosen?.trigger('click')

    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(wrapper.text()).toContain('请至少选择一个部门或人员')
    expect(calls.some((c) => c.method === 'POST')).toBe(false)

    const pick = async (testId: string, q: string) => {
      await wrapper.find(`[data-testid="${testId}"] input`).setValue(q)
      await vi.waitFor(() => expect(wrapper.find(`[data-testid="${testId}"] .people-picker__option`).exists()).toBe(true))
      await wrapper.find(`[data-testid="${testId}"] .people-picker__option`).trigger('click')
    }
    await pick('audience-departments', '销售')
    await pick('audience-people', '王')
    await wrapper.find('form').trigger('submit')
    await vi.waitFor(() => expect(calls.some((c) => c.method === 'POST')).toBe(true))
    const post = calls.find((c) => c.method === 'POST')
    expect((JSON.parse(post?.body ?? '{}') as { audience: unknown }).audience).toEqual({
      departments: [{ id: 'd_sales', includeSubDepartments: true }],
      users: ['usr_wf'],
    })
  })
})
