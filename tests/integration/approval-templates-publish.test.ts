import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '../../db/client'
import { testApp } from '../helpers/app'
import { largePayment as payment } from '../helpers/approval-templates'
import { openTestDatabase } from '../helpers/db'
import { sessionHeader } from '../helpers/session'
import { type ApprovalsTenant, approvalsTenant, uid } from './approvals-harness'

let database: Database
let org: ApprovalsTenant
let app: ReturnType<typeof testApp>['app']

beforeAll(async () => {
  database = await openTestDatabase()
  org = await approvalsTenant(database)
  app = testApp(database).app
})
afterAll(async () => database.close())

async function call(key: string, method: string, path: string, body?: unknown) {
  const res = await app.request(`/api/v1${path}`, {
    method,
    headers: { ...(await sessionHeader(org.tenantId, uid(org, key))), 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  return {
    status: res.status,
    json: (await res.json()) as {
      error?: { code: string; message: string; field?: string }
      version?: number
    },
  }
}

describe('publishing a template whose branch cannot resolve an approver', () => {
  it('is refused with 400 naming the node and the branch, and nothing is created', async () => {
    const res = await call('wangjianguo', 'POST', '/approvals/templates', payment('board_member'))
    expect(res.status).toBe(400)
    expect(res.json.error?.field).toBe('flow.nodes.board')
    expect(res.json.error?.message).toContain(
      '审批节点「董事会」（条件「金额判断」的分支「超过5万」）找不到审批人',
    )
    expect(res.json.error?.message).toContain('role board_member does not exist')
    expect((await call('wangjianguo', 'GET', '/approvals/templates/bigpay')).status).toBe(404)
  })

  it('publishes when the role has a member, and refuses a new version naming a role nobody holds unless the node may pass', async () => {
    const created = await call('wangjianguo', 'POST', '/approvals/templates', payment('finance'))
    expect(created.status).toBe(201)
    // A new role nobody holds yet: a version that needs it is refused, and the template stays at version 1.
    const { status: s1 } = await call('wangjianguo', 'POST', '/admin/roles', { key: 'board', name: '董事会' })
    expect(s1).toBe(201)
    const next = await call('wangjianguo', 'PUT', '/approvals/templates/bigpay', {
      ...payment('board'),
      baseVersion: 1,
    })
    expect(next.status).toBe(400)
    expect(next.json.error?.message).toContain('role board has no members')
    // With "pass when nobody is found" the same flow is accepted.
    const skip = await call('wangjianguo', 'PUT', '/approvals/templates/bigpay', {
      ...payment('board', 'skip'),
      baseVersion: 1,
    })
    expect(skip.status).toBe(200)
    expect(skip.json.version).toBe(2)
  })
})
