import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signToken } from '../../bot/lib/session-token'
import type { Database } from '../../db/client'
import { TEST_SESSION_SECRET, testApp } from '../helpers/app'
import { dayFromNow as D } from '../helpers/dates'
import { openTestDatabase } from '../helpers/db'
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

async function call(key: string, method: string, path: string, body?: unknown, lang?: string) {
  const token = await signToken(TEST_SESSION_SECRET, {
    t: org.tenantId,
    u: uid(org, key),
    p: 'devchat',
    exp: Math.floor(Date.now() / 1000) + 600,
    k: 'session',
    j: `j-${Math.random()}`,
  })
  const res = await app.request(`/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      ...(lang ? { 'accept-language': lang } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  return { status: res.status, json: (await res.json()) as Answer }
}

interface Step {
  nodeId: string
  name: string
  type: string
  approvers: Array<{ id: string; name: string }>
  skipped: boolean
  chooses: boolean
}
interface Answer {
  steps: Step[]
  dependsOn: string[]
  total: number
  error?: { field?: string; message: string }
}
const shape = (steps: Step[]) =>
  steps.map(
    (s) => `${s.type}:${s.name}=${s.approvers.map((a) => a.name).join('+') || (s.skipped ? '(skip)' : '-')}`,
  )

describe('approval flow preview (M10)', () => {
  it('follows the values entered so far: a long leave adds the department head', async () => {
    const empty = await call('liuyang', 'POST', '/approvals/flow-preview', { templateKey: 'leave', form: {} })
    expect(empty.status).toBe(200)
    expect(empty.json.dependsOn).toEqual(['dates'])
    const short = await call('liuyang', 'POST', '/approvals/flow-preview', {
      templateKey: 'leave',
      form: { dates: { start: D(10), end: D(11) } },
    })
    const long = await call('liuyang', 'POST', '/approvals/flow-preview', {
      templateKey: 'leave',
      form: { dates: { start: D(10), end: D(14) } },
    })
    expect(shape(short.json.steps)).toEqual(shape(empty.json.steps))
    // An English reader sees the approvers' English names (the Chinese one when none is set).
    const en = await call(
      'liuyang',
      'POST',
      '/approvals/flow-preview',
      { templateKey: 'leave', form: {} },
      'en',
    )
    expect(en.json.steps[0]?.approvers.map((a) => a.name)).toEqual(['Wei Zhang'])
    expect(empty.json.steps[0]?.approvers.map((a) => a.name)).toEqual(['张伟'])
    expect(long.json.steps.length).toBeGreaterThan(short.json.steps.length)
    // Not yet valid values are left out, not refused: an end before the start is the default branch.
    const backwards = await call('liuyang', 'POST', '/approvals/flow-preview', {
      templateKey: 'leave',
      form: { dates: { start: D(14), end: D(10) }, kind: 'nonsense' },
    })
    expect(backwards.status).toBe(200)
    expect(shape(backwards.json.steps)).toEqual(shape(short.json.steps))
  })

  it('matches what a submission with the same values resolves, and writes nothing', async () => {
    for (const days of [
      [10, 10],
      [20, 26],
    ] as const) {
      const form = { kind: 'annual', dates: { start: D(days[0]), end: D(days[1]) }, reason: '家事' }
      const preview = await call('liuyang', 'POST', '/approvals/flow-preview', { templateKey: 'leave', form })
      const before = await call('liuyang', 'GET', '/approvals/instances?box=mine')
      expect(before.json.total).toBe(days[0] === 10 ? 0 : 1)
      const started = await call('liuyang', 'POST', '/approvals/instances', { templateKey: 'leave', form })
      expect(started.status).toBe(201)
      expect(shape(preview.json.steps)).toEqual(shape(started.json.steps))
    }
  })

  it('shows a node the initiator picks as still to choose, then with the people chosen', async () => {
    const r = await call('wangjianguo', 'POST', '/approvals/templates', {
      key: 'pickprev',
      name: '自选预览',
      form: [{ key: 'note', label: '说明', type: 'text', required: true }],
      flow: {
        nodes: [
          { id: 'start', type: 'start', next: 'chosen' },
          {
            id: 'chosen',
            type: 'approval',
            name: '自选',
            nameEn: 'Your pick',
            approvers: { kind: 'initiator_chooses', multiple: true },
            next: 'end',
          },
          { id: 'end', type: 'end' },
        ],
      },
    })
    expect(r.status).toBe(201)
    const none = await call('liuyang', 'POST', '/approvals/flow-preview', { templateKey: 'pickprev' })
    expect(none.status).toBe(200)
    expect(none.json.steps).toMatchObject([
      { nodeId: 'chosen', nameEn: 'Your pick', chooses: true, approvers: [] },
    ])
    const picked = await call('liuyang', 'POST', '/approvals/flow-preview', {
      templateKey: 'pickprev',
      approvers: { chosen: [uid(org, 'sunyue')] },
    })
    expect(picked.json.steps[0]?.approvers.map((a: { name: string }) => a.name)).toEqual(['孙悦'])
  })

  it('refuses an unknown template with a 4xx naming it, and needs a session', async () => {
    const bad = await call('liuyang', 'POST', '/approvals/flow-preview', { templateKey: 'nope', form: {} })
    expect(bad.status).toBe(404)
    const missing = await call('liuyang', 'POST', '/approvals/flow-preview', { form: {} })
    expect(missing.status).toBe(400)
    expect(missing.json.error?.field).toBe('templateKey')
    const anon = await app.request('/api/v1/approvals/flow-preview', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ templateKey: 'leave' }),
    })
    expect(anon.status).toBe(401)
  })
})
