import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { createApiClient, installApiClient } from '@/api'
import type { ApprovalTemplate } from '@/api/approvals'
import { createAppI18n } from '@/i18n'
import { createAppRouter } from '@/router'
import { fakeFetch, jsonResponse, type RecordedCall } from '@/testing/http'
import ApprovalStartPage from './ApprovalStartPage.vue'

const template: ApprovalTemplate = {
  id: 'tpl_1',
  key: 'trip',
  name: '出差',
  nameEn: 'Trip',
  version: 1,
  form: [
    { key: 'reason', label: '事由', type: 'text', required: true },
    { key: 'cover', label: '工作交接人', type: 'user', required: true },
    { key: 'dept', label: '费用部门', type: 'department' },
  ],
  flow: {
    nodes: [
      { id: 'start', type: 'start', next: 'pick' },
      {
        id: 'pick',
        type: 'approval',
        name: '自选审批人',
        approvers: { kind: 'initiator_chooses', multiple: true },
        mode: 'all',
        emptyPolicy: 'admin',
        next: 'end',
      },
      { id: 'end', type: 'end' },
    ],
  },
  settings: { dedupe: 'none', escalateAction: 'to_manager', initiatorAutoPass: true },
}

const person = (id: string, name: string, departmentName: string) => ({
  id,
  name,
  enName: null,
  jobTitle: null,
  avatarUrl: null,
  departmentId: null,
  departmentName,
})
const departments = {
  items: [
    { id: 'd_sales', name: '销售部', parentId: null, leader: null, memberCount: 3, children: [
      { id: 'd_east', name: '华东区', parentId: 'd_sales', leader: null, memberCount: 2, children: [] },
    ] },
  ],
}

/** Answers like the bot: by path, and records what was asked. */
function bot(call: RecordedCall): Response {
  const url = new URL(call.url)
  if (url.pathname === '/api/v1/approvals/templates/trip') return jsonResponse(200, template)
  if (url.pathname === '/api/v1/org/people') {
    const q = url.searchParams.get('q') ?? ''
    const all = [person('usr_zw', '张伟', '华东区'), person('usr_wf', '王芳', '人事部')]
    return jsonResponse(200, { items: all.filter((p) => p.name.includes(q)) })
  }
  if (url.pathname === '/api/v1/org/departments') return jsonResponse(200, departments)
  if (url.pathname === '/api/v1/approvals/flow-preview') {
    // Like the bot: the chosen approvers of `pick`, and a CC to finance once a cost department is set.
    const body = JSON.parse(call.body ?? '{}') as { form: Record<string, unknown>; approvers?: Record<string, string[]> }
    const names: Record<string, string> = { usr_zw: '张伟', usr_wf: '王芳' }
    const picked = (body.approvers?.pick ?? []).map((id) => ({ id, name: names[id] ?? id }))
    const pick = { nodeId: 'pick', name: '自选审批人', nameEn: 'Your pick', type: 'approval', mode: 'all', approvers: picked, skipped: false, toAdmin: false, chooses: true }
    const cc = { nodeId: 'fin', name: '抄送财务', nameEn: 'CC finance', type: 'cc', mode: 'all', approvers: [{ id: 'usr_hb', name: '胡斌' }], skipped: false, toAdmin: false, chooses: false }
    return jsonResponse(200, { steps: body.form.dept ? [pick, cc] : [pick], dependsOn: ['dept'] })
  }
  if (url.pathname === '/api/v1/approvals/instances' && call.method === 'POST') return jsonResponse(201, { id: 'ins_9' })
  if (url.pathname === '/api/v1/approvals/instances/ins_9') return jsonResponse(404, { error: { code: 'not_found', message: 'x' } })
  return jsonResponse(404, { error: { code: 'not_found', message: `no ${url.pathname}` } })
}

/** Unmounted after each test, so no timer of one test's page calls into the next test's fake bot. */
const mounted: Array<{ unmount(): void }> = []

async function mountPage() {
  const { fetch, calls } = fakeFetch(bot)
  installApiClient(createApiClient({ baseUrl: 'http://bot.test', fetch, getToken: () => 'tok', onUnauthorized: async () => false }))
  setActivePinia(createPinia())
  const router = createAppRouter({ session: { hasValidToken: () => true }, history: createMemoryHistory('/app/') })
  await router.push('/approvals/new/trip')
  const wrapper = mount(ApprovalStartPage, { global: { plugins: [createAppI18n(), router] }, attachTo: document.body })
  mounted.push(wrapper)
  await flushPromises()
  return { wrapper, calls, router }
}

type Wrapper = Awaited<ReturnType<typeof mountPage>>['wrapper']

async function pickFrom(wrapper: Wrapper, scope: string, query: string, option: string, optionClass: string) {
  await wrapper.find(`${scope} input`).setValue(query)
  await vi.waitFor(() => expect(wrapper.find(`${scope} ${optionClass}`).exists()).toBe(true), { timeout: 2000 })
  const hit = wrapper.findAll(`${scope} ${optionClass}`).find((o) => o.text().includes(option))
  if (!hit) throw new Error(`no option ${option} in ${scope}`)
  await hit.trigger('click')
  await flushPromises()
}

describe('ApprovalStartPage', () => {
  afterEach(() => {
    for (const w of mounted.splice(0)) w.unmount()
    installApiClient(null)
    document.body.innerHTML = ''
  })

  it('picks people and departments from the directory and sends their ids', async () => {
    const { wrapper, calls } = await mountPage()
    await wrapper.find('[data-field="reason"] input').setValue('上海客户拜访')
    await pickFrom(wrapper, '[data-field="cover"]', '张', '张伟', '.ref-field__option')
    await pickFrom(wrapper, '[data-field="dept"]', '华东', '华东区', '.ref-field__option')
    await pickFrom(wrapper, '[data-node="pick"]', '王', '王芳', '.people-picker__option')
    await pickFrom(wrapper, '[data-node="pick"]', '张', '张伟', '.people-picker__option')

    expect(wrapper.findAll('[data-node="pick"] .people-picker__tag').map((t) => t.text())).toEqual(['王芳', '张伟'])
    await wrapper.find('form').trigger('submit')
    await flushPromises()

    const people = calls.filter((c) => new URL(c.url).pathname === '/api/v1/org/people')
    expect(people.map((c) => new URL(c.url).searchParams.get('q'))).toEqual(['张', '王', '张'])
    // The department tree is fetched once and searched on the device.
    expect(calls.filter((c) => new URL(c.url).pathname === '/api/v1/org/departments')).toHaveLength(1)
    const post = calls.find((c) => c.method === 'POST' && new URL(c.url).pathname === '/api/v1/approvals/instances')
    expect(JSON.parse(post?.body ?? '{}')).toEqual({
      templateKey: 'trip',
      form: { reason: '上海客户拜访', cover: 'usr_zw', dept: 'd_east' },
      approvers: { pick: ['usr_wf', 'usr_zw'] },
    })
  })

  it('asks for the approvers the initiator must choose before sending anything', async () => {
    const { wrapper, calls } = await mountPage()
    await wrapper.find('[data-field="reason"] input').setValue('上海客户拜访')
    await pickFrom(wrapper, '[data-field="cover"]', '张', '张伟', '.ref-field__option')
    await wrapper.find('form').trigger('submit')
    await flushPromises()

    expect(wrapper.find('[data-node="pick"]').text()).toContain('请填写自选审批人')
    expect(calls.some((c) => new URL(c.url).pathname === '/api/v1/approvals/instances')).toBe(false)

    await pickFrom(wrapper, '[data-node="pick"]', '王', '王芳', '.people-picker__option')
    expect(wrapper.find('[data-node="pick"]').text()).not.toContain('请填写自选审批人')
  })

  it('shows who will approve, node by node, and follows the values and picks that change it', async () => {
    const { wrapper, calls } = await mountPage()
    const previews = () => calls.filter((c) => new URL(c.url).pathname === '/api/v1/approvals/flow-preview')
    const steps = () =>
      wrapper
        .findAll('[data-testid="flow-preview"] li')
        .map((li) => `${li.find('.flow-preview__name').text()}: ${li.find('.flow-preview__who').text()}`)
    await vi.waitFor(() => expect(steps()).toEqual(['自选审批人: 提交时由你选择']))
    expect(previews()).toHaveLength(1)

    // A field no condition tests: nothing is asked again.
    await wrapper.find('[data-field="reason"] input').setValue('上海客户拜访')
    await new Promise((r) => setTimeout(r, 400))
    expect(previews()).toHaveLength(1)

    await pickFrom(wrapper, '[data-field="dept"]', '华东', '华东区', '.ref-field__option')
    await vi.waitFor(() => expect(steps()).toEqual(['自选审批人: 提交时由你选择', '抄送财务: 胡斌']), { timeout: 2000 })
    expect(JSON.parse(previews().at(-1)?.body ?? '{}').form).toEqual({ reason: '上海客户拜访', dept: 'd_east' })

    await pickFrom(wrapper, '[data-node="pick"]', '王', '王芳', '.people-picker__option')
    await vi.waitFor(() => expect(steps()[0]).toBe('自选审批人: 王芳'), { timeout: 2000 })
    expect(calls.some((c) => new URL(c.url).pathname === '/api/v1/approvals/instances')).toBe(false)
  })
})
