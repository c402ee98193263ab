import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { createApiClient, installApiClient } from '@/api'
import type { ApprovalInstance } from '@/api/approvals'
import { createAppI18n } from '@/i18n'
import { createAppRouter } from '@/router'
import { useSessionStore } from '@/stores/session'
import { fakeFetch, jsonResponse, type RecordedCall } from '@/testing/http'
import ApprovalPage from './ApprovalPage.vue'

const person = (id: string, name: string) => ({ id, name })
const instance: ApprovalInstance = {
  id: 'ins_1',
  serialNo: '20261126-0001',
  title: '刘洋的报销',
  template: { key: 'expense', name: '报销', version: 1 },
  status: 'pending',
  version: 1,
  round: 1,
  initiator: person('usr_rep', '刘洋'),
  form: { amount: 128_050, dates: { start: '2026-12-01', end: '2026-12-03', days: 3 }, cover: 'usr_zw' },
  formLabels: { cover: '周伟' },
  fields: [
    { key: 'amount', label: '报销金额', type: 'money', required: true },
    { key: 'dates', label: '出差时间', type: 'dateRange' },
    { key: 'cover', label: '工作交接人', type: 'user' },
  ],
  steps: [
    { nodeId: 'manager', name: '直属上级', type: 'approval', mode: 'any', approvers: [person('usr_mgr', '张伟')], skipped: false },
  ],
  progress: [],
  tasks: [
    {
      id: 'tsk_1',
      stepIndex: 0,
      nodeId: 'manager',
      round: 1,
      kind: 'approve',
      assignee: person('usr_mgr', '张伟'),
      status: 'pending',
      version: 2,
      origin: 'flow',
      auto: null,
      comment: null,
      decidedBy: null,
      decidedAt: null,
      activatedAt: '2026-11-26T08:00:00.000Z',
    },
  ],
  myTask: { id: 'tsk_1', version: 2 },
  businessRef: null,
  external: null,
  createdAt: '2026-11-26T08:00:00.000Z',
  finishedAt: null,
  timeline: [{ id: 1, action: 'submit', actor: person('usr_rep', '刘洋'), taskId: null, comment: null, before: null, after: null, at: '2026-11-26T08:00:00.000Z' }],
}

async function mountPage(...answers: Array<(call: RecordedCall) => Response>) {
  return mountPageAs({ id: 'usr_mgr', name: '张伟' }, ...answers)
}

async function mountPageAs(user: { id: string; name: string }, ...answers: Array<(call: RecordedCall) => Response>) {
  const { fetch, calls } = fakeFetch(...answers)
  installApiClient(createApiClient({ baseUrl: 'http://bot.test', fetch, getToken: () => 'tok', onUnauthorized: async () => false }))
  const pinia = createPinia()
  setActivePinia(pinia)
  useSessionStore().setSession({
    token: 'tok',
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    user: { ...user, roles: [] },
  })
  const router = createAppRouter({ session: { hasValidToken: () => true }, history: createMemoryHistory('/app/') })
  await router.push('/approvals/ins_1')
  const wrapper = mount(ApprovalPage, { global: { plugins: [pinia, createAppI18n(), router] }, attachTo: document.body })
  await flushPromises()
  return { wrapper, calls }
}

describe('ApprovalPage', () => {
  afterEach(() => {
    installApiClient(null)
    document.body.innerHTML = ''
  })

  it('shows the form values, the flow and the timeline', async () => {
    const { wrapper } = await mountPage(() => jsonResponse(200, instance))
    const text = wrapper.text()
    expect(text).toContain('¥1,280.50')
    expect(text).toContain('2026-12-01 ~ 2026-12-03（3 天）')
    expect(text).toContain('周伟') // a person field by name
    expect(text).not.toContain('usr_zw')
    expect(text).toContain('直属上级')
    expect(text).toContain('张伟')
    expect(text).toContain('刘洋 提交')
  })

  it('after a rejection, marks the rejecting step with a cross and the later steps as never reached', async () => {
    const rejected: ApprovalInstance = {
      ...instance,
      status: 'rejected',
      myTask: null,
      steps: [
        ...instance.steps,
        { nodeId: 'cc', name: '抄送', type: 'cc', mode: 'all', approvers: [person('usr_hr', '何芳')], skipped: false },
      ],
      tasks: [{ ...(instance.tasks[0] as ApprovalInstance['tasks'][number]), status: 'rejected', comment: '预算不足', decidedAt: '2026-11-26T09:00:00.000Z' }],
      timeline: [
        ...(instance.timeline ?? []),
        { id: 2, action: 'reject', actor: person('usr_mgr', '张伟'), taskId: 'tsk_1', comment: '预算不足', before: null, after: null, at: '2026-11-26T09:00:00.000Z' },
        { id: 3, action: 'end', actor: null, taskId: null, comment: null, before: null, after: null, at: '2026-11-26T09:00:00.000Z' },
      ],
    }
    const { wrapper } = await mountPage(() => jsonResponse(200, rejected))
    const flow = wrapper.find('[data-testid="approval-flow"]')
    const stepsShown = flow.findAll('.van-step')
    expect(stepsShown).toHaveLength(2)
    expect(stepsShown[0]?.find('.van-icon-clear').exists()).toBe(true)
    expect(stepsShown[0]?.find('.van-icon-checked').exists()).toBe(false)
    expect(stepsShown[1]?.text()).toContain('何芳')
    expect(stepsShown[1]?.text()).toContain('已取消')
    expect(stepsShown[1]?.text()).not.toContain('等待')
    expect(wrapper.text()).not.toContain('flowcard')
  })

  it('asks for a reason before rejecting, then sends the task version with the comment', async () => {
    const { wrapper, calls } = await mountPage(
      () => jsonResponse(200, instance),
      () => jsonResponse(200, { ...instance, status: 'rejected', myTask: null }),
      () => jsonResponse(200, { ...instance, status: 'rejected', myTask: null }),
    )
    const reject = wrapper.findAll('button').find((b) => b.text() === '拒绝')
    await reject?.trigger('click')
    await flushPromises()
    const sheet = document.body.querySelector('[data-testid="action-sheet"]')
    expect(sheet).not.toBeNull()
    sheet?.dispatchEvent(new Event('submit'))
    await flushPromises()
    expect(document.body.textContent).toContain('请填写拒绝理由')
    expect(calls).toHaveLength(1)

    const textarea = document.body.querySelector<HTMLTextAreaElement>('textarea[name="comment"]')
    if (!textarea) throw new Error('no comment field')
    textarea.value = '票据不全'
    textarea.dispatchEvent(new Event('input'))
    sheet?.dispatchEvent(new Event('submit'))
    await flushPromises()
    expect(calls[1]?.url).toBe('http://bot.test/api/v1/approvals/tasks/tsk_1/reject')
    expect(JSON.parse(calls[1]?.body ?? '{}')).toEqual({ version: 2, comment: '票据不全' })
    expect(wrapper.find('[data-testid="approval-status"]').attributes('data-status')).toBe('rejected')
  })

  it('lets the applicant edit a returned request and resubmit it', async () => {
    const returned: ApprovalInstance = { ...instance, status: 'returned', myTask: null }
    const { calls } = await mountPageAs(
      { id: 'usr_rep', name: '刘洋' },
      () => jsonResponse(200, returned),
      () => jsonResponse(200, { ...instance, round: 2, myTask: null }),
      () => jsonResponse(200, { ...instance, round: 2, myTask: null }),
    )
    const open = document.body.querySelector<HTMLButtonElement>('[data-testid="resubmit"]')
    if (!open) throw new Error('no resubmit button')
    open.click()
    await flushPromises()
    const sheet = document.body.querySelector('[data-testid="resubmit-sheet"]')
    const amount = sheet?.querySelector<HTMLInputElement>('[data-field="amount"] input')
    if (!sheet || !amount) throw new Error('no resubmit form')
    // The form comes back as it was sent: money in yuan, the dates as a range.
    expect(amount.value).toBe('1280.50')
    expect(sheet.querySelector<HTMLInputElement>('input[name="dates.start"]')?.value).toBe('2026-12-01')

    amount.value = ''
    amount.dispatchEvent(new Event('input'))
    await flushPromises()
    sheet.dispatchEvent(new Event('submit'))
    await flushPromises()
    expect(sheet.textContent).toContain('请填写报销金额')
    expect(calls).toHaveLength(1)

    amount.value = '980'
    amount.dispatchEvent(new Event('input'))
    const note = sheet.querySelector<HTMLTextAreaElement>('textarea[name="note"]')
    if (!note) throw new Error('no note field')
    note.value = '已补充发票'
    note.dispatchEvent(new Event('input'))
    await flushPromises()
    sheet.dispatchEvent(new Event('submit'))
    await flushPromises()

    expect(calls[1]?.url).toBe('http://bot.test/api/v1/approvals/instances/ins_1/resubmit')
    expect(calls[1]?.method).toBe('POST')
    expect(JSON.parse(calls[1]?.body ?? '{}')).toEqual({
      form: { amount: 98_000, dates: { start: '2026-12-01', end: '2026-12-03' }, cover: 'usr_zw' },
      comment: '已补充发票',
    })
    expect(document.body.querySelector('[data-testid="approval-status"]')?.getAttribute('data-status')).toBe('pending')
  })

  it('shows the bot’s field errors next to the field when a resubmission is refused', async () => {
    const returned: ApprovalInstance = { ...instance, status: 'returned', myTask: null }
    await mountPageAs(
      { id: 'usr_rep', name: '刘洋' },
      () => jsonResponse(200, returned),
      () =>
        jsonResponse(400, {
          error: { code: 'invalid_input', message: '报销金额：超过上限', field: 'form.amount', requestId: 'req_1' },
        }),
    )
    document.body.querySelector<HTMLButtonElement>('[data-testid="resubmit"]')?.click()
    await flushPromises()
    const sheet = document.body.querySelector('[data-testid="resubmit-sheet"]')
    sheet?.dispatchEvent(new Event('submit'))
    await flushPromises()
    expect(sheet?.querySelector('[data-field="amount"]')?.textContent).toContain('报销金额：超过上限')
  })

  it('offers no resubmission to anyone but the applicant', async () => {
    await mountPage(() => jsonResponse(200, { ...instance, status: 'returned', myTask: null }))
    expect(document.body.querySelector('[data-testid="resubmit"]')).toBeNull()
  })
})
