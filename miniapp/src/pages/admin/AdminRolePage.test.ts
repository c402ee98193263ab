import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { createApiClient, installApiClient } from '@/api'
import { createAppI18n } from '@/i18n'
import { createAppRouter } from '@/router'
import { fakeFetch, jsonResponse, type RecordedCall } from '@/testing/http'
import AdminRolePage from './AdminRolePage.vue'

const role = {
  id: 'role_sales',
  key: 'sales',
  name: '销售',
  nameEn: 'Sales',
  description: null,
  builtIn: false,
  dataScope: 'self',
  departmentCount: 0,
  memberCount: 0,
  permissions: ['crm.export'],
}

/** The bot as the page meets it: the role, its (empty) members, the permission catalogue; `onSave` answers the PATCH. */
async function mountPage(onSave: (call: RecordedCall) => Response) {
  const { fetch, calls } = fakeFetch((call) => {
    const path = new URL(call.url).pathname
    if (call.method === 'PATCH') return onSave(call)
    if (path.endsWith('/admin/roles')) return jsonResponse(200, { items: [role] })
    if (path.endsWith(`/admin/roles/${role.id}/members`)) return jsonResponse(200, { people: [], departments: [] })
    if (path.endsWith('/admin/permissions'))
      return jsonResponse(200, {
        items: [
          { name: 'crm.export', zh: '导出客户', en: 'Export customers' },
          { name: 'audit.view', zh: '查看审计日志', en: 'View the audit log' },
        ],
      })
    return jsonResponse(404, { error: { code: 'not_found', message: path, requestId: 'r0' } })
  })
  installApiClient(createApiClient({ baseUrl: 'http://bot.test', fetch, getToken: () => 'tok', onUnauthorized: async () => false }))
  setActivePinia(createPinia())
  const router = createAppRouter({ session: { hasValidToken: () => true }, history: createMemoryHistory('/app/') })
  await router.push(`/admin/roles/${role.id}`)
  const wrapper = mount(AdminRolePage, { global: { plugins: [createAppI18n(), router] } })
  await flushPromises()
  return { wrapper, calls }
}

describe('AdminRolePage (the bot’s refusals placed under the field they name)', () => {
  afterEach(() => installApiClient(null))

  it('places a refused permission under the permissions and a refused scope under the data scope', async () => {
    let answer = { field: 'permissions.1', message: '未知权限 audit.delete' }
    const { wrapper, calls } = await mountPage(() =>
      jsonResponse(400, { error: { code: 'invalid_input', requestId: 'r1', ...answer } }),
    )
    expect(wrapper.find('[data-testid="role-error-permissions"]').exists()).toBe(false)
    await wrapper.find('[data-testid="save-role"]').trigger('click')
    await flushPromises()
    const patch = calls.find((c) => c.method === 'PATCH')
    expect(JSON.parse(patch?.body ?? '{}')).toEqual({ dataScope: 'self', permissions: ['crm.export'] })
    expect(wrapper.find('[data-testid="role-error-permissions"]').text()).toContain('未知权限 audit.delete')
    expect(wrapper.find('[data-testid="role-error-dataScope"]').exists()).toBe(false)

    answer = { field: 'dataScope', message: '数据范围无效' }
    await wrapper.find('[data-testid="save-role"]').trigger('click')
    await flushPromises()
    expect(wrapper.find('[data-testid="role-error-dataScope"]').text()).toContain('数据范围无效')
    // A new refusal replaces the old one rather than piling up beside it.
    expect(wrapper.find('[data-testid="role-error-permissions"]').exists()).toBe(false)
  })
})
