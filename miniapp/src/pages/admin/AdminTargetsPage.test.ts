import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { createApiClient, installApiClient } from '@/api'
import { createAppI18n } from '@/i18n'
import { createAppRouter } from '@/router'
import { fakeFetch, jsonResponse, type RecordedCall } from '@/testing/http'
import AdminTargetsPage from './AdminTargetsPage.vue'

const person = (id: string, name: string) => ({
  id,
  name,
  enName: null,
  jobTitle: null,
  avatarUrl: null,
  departmentId: 'dep_east',
  departmentName: '华东销售组',
})

/** A bot answering by path: people, departments, the year's targets (asked year echoed), and writes. */
function bot(writes: (call: RecordedCall) => Response = () => jsonResponse(200, { saved: 1, removed: 0 })) {
  return (call: RecordedCall): Response => {
    const url = new URL(call.url)
    if (url.pathname === '/api/v1/org/people')
      return jsonResponse(200, { items: [person('usr_liu', '刘洋'), person('usr_chen', '陈静')] })
    if (url.pathname === '/api/v1/org/departments')
      return jsonResponse(200, { items: [{ id: 'dep_east', name: '华东销售组', parentId: null, memberCount: 2 }] })
    if (url.pathname === '/api/v1/reports/targets' && call.method === 'GET') {
      const year = url.searchParams.get('year')
      return jsonResponse(200, {
        items: [
          { subjectKind: 'user', subjectId: 'usr_liu', kind: 'contract_amount', month: `${year}-01`, value: 1_000_000 },
          { subjectKind: 'user', subjectId: 'usr_liu', kind: 'visits', month: `${year}-01`, value: 20 },
        ],
      })
    }
    return writes(call)
  }
}

async function mountPage(answer: (call: RecordedCall) => Response) {
  const { fetch, calls } = fakeFetch(answer)
  installApiClient(createApiClient({ baseUrl: 'http://bot.test', fetch, getToken: () => 'tok', onUnauthorized: async () => false }))
  setActivePinia(createPinia())
  const router = createAppRouter({ session: { hasValidToken: () => true }, history: createMemoryHistory('/app/') })
  await router.push('/admin/targets')
  const wrapper = mount(AdminTargetsPage, { global: { plugins: [createAppI18n(), router] }, attachTo: document.body })
  await flushPromises()
  return { wrapper, calls }
}

describe('AdminTargetsPage (业绩目标)', () => {
  afterEach(() => {
    installApiClient(null)
    document.body.innerHTML = ''
  })

  it('shows a year of monthly targets in 元 with quarter and year sums, and saves only what changed', async () => {
    const { wrapper, calls } = await mountPage(bot())
    const year = wrapper.get('[data-testid="targets-year"]').text()
    const cell = (id: string, m: string) => wrapper.get<HTMLInputElement>(`[data-testid="cell-${id}-${m}"]`)
    expect(cell('usr_liu', '01').element.value).toBe('10000')
    expect(wrapper.get('[data-testid="year-usr_liu"]').text()).toBe('10000')
    expect(wrapper.get<HTMLInputElement>('[data-testid="quarter-usr_liu-1"]').element.value).toBe('10000')

    // One month typed, a quarter spread (100000.01 元 → 3333334 + 3333334 + 3333333 分), one month cleared.
    await cell('usr_chen', '02').setValue('5000.5')
    const q2 = wrapper.get<HTMLInputElement>('[data-testid="quarter-usr_chen-2"]')
    q2.element.value = '100000.01'
    await q2.trigger('change')
    await cell('usr_liu', '01').setValue('')
    expect(wrapper.get('[data-testid="year-usr_chen"]').text()).toBe(String(5000.5 + 100000.01))
    await wrapper.get('[data-testid="targets-save"]').trigger('click')
    await flushPromises()
    const put = calls.find((c) => c.method === 'PUT')
    const sent = JSON.parse(put?.body ?? '{}').targets as Array<{ subjectId: string; month: string; value: number | null }>
    expect(sent.map((t) => [t.subjectId, t.month, t.value]).sort()).toEqual(
      [
        ['usr_chen', `${year}-02`, 500050],
        ['usr_chen', `${year}-04`, 3333334],
        ['usr_chen', `${year}-05`, 3333334],
        ['usr_chen', `${year}-06`, 3333333],
        ['usr_liu', `${year}-01`, null],
      ].sort(),
    )
    expect(sent.every((t) => (t as unknown as { kind: string }).kind === 'contract_amount')).toBe(true)
  })

  it('switches kind (counts, not 元) and refuses a bad figure without sending', async () => {
    const { wrapper, calls } = await mountPage(bot())
    const tabs = wrapper.findAll('.van-tab')
    await tabs[4]?.trigger('click')
    await flushPromises()
    const cell = wrapper.get<HTMLInputElement>('[data-testid="cell-usr_liu-01"]')
    expect(cell.element.value).toBe('20')
    await cell.setValue('2.5')
    await wrapper.get('[data-testid="targets-save"]').trigger('click')
    await flushPromises()
    expect(calls.some((c) => c.method === 'PUT')).toBe(false)
  })
})
