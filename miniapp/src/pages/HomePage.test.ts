import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { createApiClient, installApiClient } from '@/api'
import type { HomeTodos } from '@/api/contract'
import { createAppI18n } from '@/i18n'
import { createAppRouter } from '@/router'
import { useSessionStore } from '@/stores/session'
import { fakeFetch, jsonResponse } from '@/testing/http'
import HomePage from './HomePage.vue'

async function mountHome(
  answer: () => Response,
  progress: () => Response = () => jsonResponse(404, { error: { code: 'not_found', message: 'no' } }),
) {
  // The target progress card asks after the to-dos; its calls are kept apart from the to-do calls.
  const progressCalls: string[] = []
  const { fetch, calls } = fakeFetch((call) => {
    if (!call.url.includes('/reports/progress')) return answer()
    progressCalls.push(call.url)
    calls.pop()
    return progress()
  })
  installApiClient(
    createApiClient({
      baseUrl: 'http://bot.test',
      fetch,
      getToken: () => 'tok',
      onUnauthorized: async () => false,
    }),
  )
  const pinia = createPinia()
  setActivePinia(pinia)
  useSessionStore().setSession({
    token: 'tok',
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    user: { id: 'usr_1', name: '张三', roles: [] },
  })
  const router = createAppRouter({
    session: { hasValidToken: () => true },
    history: createMemoryHistory('/app/'),
  })
  await router.push('/')
  const wrapper = mount(HomePage, { global: { plugins: [pinia, createAppI18n(), router] } })
  await flushPromises()
  return { wrapper, calls, progressCalls }
}

describe('HomePage', () => {
  beforeEach(() => localStorage.clear())
  afterEach(() => installApiClient(null))

  it('greets the user and loads GET /api/v1/home', async () => {
    const { wrapper, calls } = await mountHome(() =>
      jsonResponse(200, { approvals: [], followups: [], visits: [], notices: [] }),
    )

    expect(calls[0]?.url).toBe('http://bot.test/api/v1/home')
    expect(wrapper.text()).toContain('张三')
    expect(wrapper.text()).toContain('今天的待办都处理完了')
  })

  it('greets without a name, and without a dangling comma, until the session arrives', async () => {
    const { wrapper } = await mountHome(() => jsonResponse(200, { approvals: [], followups: [], visits: [], notices: [] }))
    const session = useSessionStore()
    const user = session.user
    if (!user) throw new Error('no user')
    session.clear()
    await flushPromises()
    expect(wrapper.find('.home-page__greeting').text()).toMatch(/^(早上好|中午好|下午好|晚上好)$/)

    session.setUser(user)
    await flushPromises()
    expect(wrapper.find('.home-page__greeting').text()).toMatch(/好，张三$/)
  })

  it('shows the empty state, not an error, while the bot has no /home route (404)', async () => {
    const { wrapper } = await mountHome(() =>
      jsonResponse(404, { error: { code: 'not_found', message: 'Not Found', requestId: 'r' } }),
    )

    expect(wrapper.text()).toContain('今天的待办都处理完了')
    expect(wrapper.text()).not.toContain('待办加载失败')
  })

  it('renders each section with its items and an empty line for empty ones', async () => {
    const todos: HomeTodos = {
      approvals: [{ id: 'ins_1', title: '差旅报销 ¥3,200', initiator: { id: 'usr_2', name: '李四' } }],
      followups: [],
      visits: [{ id: 'vis_1', customer: { id: 'cus_9', name: '华东精密' }, address: '上海市浦东新区' }],
      notices: [{ id: 'ntc_1', title: '五一放假安排', requiresAck: true }],
      leads: [
        { id: 'led_1', name: '张三', company: '华为', channelName: '官网表单', slaDueAt: null, overdue: true },
      ],
      deals: [],
      payments: [],
    }
    const { wrapper } = await mountHome(() => jsonResponse(200, todos))

    const text = wrapper.text()
    expect(text).toContain('今天有 4 项待办')
    expect(text).toContain('待我审批')
    expect(text).toContain('差旅报销 ¥3,200')
    expect(text).toContain('李四 提交')
    expect(text).toContain('今天没有需要跟进的客户')
    expect(text).toContain('华东精密')
    expect(text).toContain('需确认')
    // My new leads, an overdue one flagged.
    expect(text).toContain('待联系的线索')
    expect(text).toContain('张三 · 华为')
    expect(text).toContain('已超时')
    // Someone without deals or 回款 sees no empty sales sections.
    expect(text).not.toContain('停滞的商机')
    expect(text).not.toContain('逾期回款')
  })

  it('lists my overdue 回款 and stalled deals when I have some', async () => {
    const todos: HomeTodos = {
      approvals: [],
      followups: [],
      visits: [],
      notices: [],
      leads: [],
      payments: [
        {
          instalmentId: 'ins_1',
          contract: { id: 'ctr_1', number: 'HT-2026-0007', name: '华为 OA 合同' },
          customer: { id: 'cus_1', name: '华为' },
          seq: 2,
          dueDate: '2026-11-20',
          outstandingCents: 3_000_000,
          daysOverdue: 13,
        },
      ],
      deals: [
        {
          id: 'opp_1',
          name: '华为 考勤',
          customer: { id: 'cus_1', name: '华为' },
          amountCents: 800_000,
          idleDays: 21,
          expectedCloseDate: null,
          stalled: true,
          closeDatePassed: false,
        },
      ],
    }
    const { wrapper } = await mountHome(() => jsonResponse(200, todos))
    const text = wrapper.text()
    expect(text).toContain('今天有 2 项待办')
    expect(text).toContain('逾期回款')
    expect(text).toContain('华为 · HT-2026-0007')
    expect(text).toContain('第 2 期 · 2026-11-20 到期')
    expect(text).toContain('¥30,000.00')
    expect(text).toContain('逾期 13 天')
    expect(text).toContain('停滞的商机')
    expect(text).toContain('21 天没有进展')
  })

  it('shows the failure with its request id and a retry for other errors', async () => {
    const { wrapper, calls } = await mountHome(() =>
      jsonResponse(500, { error: { code: 'internal', message: '服务内部错误', requestId: 'req_500' } }),
    )

    expect(wrapper.text()).toContain('待办加载失败')
    expect(wrapper.text()).toContain('服务暂时不可用，请稍后再试')
    expect(wrapper.text()).toContain('req_500')

    await wrapper.find('.home-page__retry').trigger('click')
    await flushPromises()
    expect(calls).toHaveLength(2)
  })

  it('words known bot error codes itself and shows the bot message for others', async () => {
    const forbidden = await mountHome(() =>
      jsonResponse(403, { error: { code: 'forbidden', message: 'you may not do this', requestId: 'r1' } }),
    )
    expect(forbidden.wrapper.text()).toContain('你没有权限执行此操作')
    expect(forbidden.wrapper.text()).not.toContain('you may not do this')

    const custom = await mountHome(() =>
      jsonResponse(422, {
        error: { code: 'pool_limit_reached', message: '已达到公海领取上限', requestId: 'r2' },
      }),
    )
    expect(custom.wrapper.text()).toContain('已达到公海领取上限')
  })

  it('shows my target progress and the team’s under the to-dos, once they have loaded', async () => {
    const { wrapper, progressCalls } = await mountHome(
      () => jsonResponse(200, { approvals: [], followups: [], visits: [], notices: [] }),
      () =>
        jsonResponse(200, {
          month: '2026-12',
          from: '2026-12-01',
          to: '2026-12-31',
          me: [
            { kind: 'contractAmount', target: 50_000_00, done: 12_500_00, rate: 25 },
            { kind: 'newCustomers', target: 4, done: 5, rate: 125 },
          ],
          team: { people: 3, items: [{ kind: 'paymentAmount', target: 200_000_00, done: 0, rate: 0 }] },
        }),
    )
    // The card is its own chunk (a dynamic import): on a busy machine it arrives after the to-dos' turn.
    await vi.waitFor(() => expect(progressCalls).toEqual(['http://bot.test/api/v1/reports/progress']))
    const mine = (await vi.waitFor(() => wrapper.get('[data-testid="home-targets-me"]'))).text()
    expect(mine).toContain('我的目标 · 2026-12')
    expect(mine).toContain('合同金额')
    expect(mine).toContain('¥1.3万 / ¥5万')
    expect(mine).toContain('25%')
    expect(mine).toContain('5 / 4')
    expect(mine).toContain('125%')
    const team = wrapper.get('[data-testid="home-targets-team"]').text()
    expect(team).toContain('团队目标 · 2026-12（3 人）')
    expect(team).toContain('回款金额')
  })

  it('hides the card without targets, tells a manager the team has none, and asks nothing when the to-dos fail', async () => {
    const empty = { month: '2026-12', from: '2026-12-01', to: '2026-12-31', me: [] }
    const rep = await mountHome(
      () => jsonResponse(200, { approvals: [], followups: [], visits: [], notices: [] }),
      () => jsonResponse(200, { ...empty, team: null }),
    )
    await vi.waitFor(() => expect(rep.progressCalls).toHaveLength(1))
    await flushPromises()
    expect(rep.wrapper.find('[data-testid="home-targets"]').exists()).toBe(false)
    const manager = await mountHome(
      () => jsonResponse(200, { approvals: [], followups: [], visits: [], notices: [] }),
      () => jsonResponse(200, { ...empty, team: { people: 4, items: [] } }),
    )
    expect((await vi.waitFor(() => manager.wrapper.get('[data-testid="home-targets-none"]'))).text()).toBe(
      '团队本月还没有设定目标',
    )
    const failed = await mountHome(() => jsonResponse(500, { error: { code: 'internal', message: 'boom' } }))
    expect(failed.progressCalls).toEqual([])
  })
})
