import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '../../db/client'
import { testApp } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'
import { bearer, type CrmTenant, crmTenant } from './crm-harness'

let database: Database
let org: CrmTenant
let app: ReturnType<typeof testApp>['app']

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  app = testApp(database).app
})
afterAll(async () => database.close())

const call = async (who: string, method: string, path: string, body?: unknown) => {
  const res = await app.request(`/api/v1/crm${path}`, {
    method,
    headers: { ...(await bearer(org, who)), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

describe('saved lead list views', () => {
  it('are per person: saved, listed, refused when bad, deleted only by their owner', async () => {
    const saved = await call('liuyang', 'POST', '/lead-views', {
      name: '本月超时',
      filters: { sla: 'breached', from: '2026-11-01', to: '2026-11-30', scope: 'mine' },
    })
    expect(saved.status).toBe(200)
    expect(saved.body.filters).toEqual({
      sla: 'breached',
      from: '2026-11-01',
      to: '2026-11-30',
      scope: 'mine',
    })

    // Someone else does not see it, nor can they delete it.
    expect((await call('chenjing', 'GET', '/lead-views')).body.items).toEqual([])
    expect((await call('chenjing', 'DELETE', `/lead-views/${saved.body.id}`)).status).toBe(404)

    // The same name twice, an unknown filter and a bad value are refused naming the field; nothing written.
    const dup = await call('liuyang', 'POST', '/lead-views', { name: '本月超时', filters: {} })
    expect(dup.status).toBe(409)
    expect((dup.body.error as { field: string }).field).toBe('name')
    const bad = await call('liuyang', 'POST', '/lead-views', { name: '坏的', filters: { status: 'lost' } })
    expect(bad.status).toBe(400)
    expect((bad.body.error as { field: string }).field).toBe('filters.status')
    const unknown = await call('liuyang', 'POST', '/lead-views', { name: '未知', filters: { colour: 'red' } })
    expect(unknown.status).toBe(400)
    const noName = await call('liuyang', 'POST', '/lead-views', { name: ' ', filters: {} })
    expect((noName.body.error as { field: string }).field).toBe('name')

    const mine = (await call('liuyang', 'GET', '/lead-views')).body.items as Array<{ name: string }>
    expect(mine.map((v) => v.name)).toEqual(['本月超时'])
    expect((await call('liuyang', 'DELETE', `/lead-views/${saved.body.id}`)).status).toBe(200)
    expect((await call('liuyang', 'GET', '/lead-views')).body.items).toEqual([])
  })
})
