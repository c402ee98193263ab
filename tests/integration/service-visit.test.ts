import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { createTicket } from '../../bot/domain/service'
import type { Database } from '../../db/client'
import { testApp } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'
import { type CrmTenant, ctxAs, systemCtx, uid } from './crm-harness'
import { apiCall, type Json } from './sales-harness'
import { serviceTenant } from './service-harness'

// 上门: an on-site job from a ticket plans a visit for its engineer, who checks in and out with
// GPS at a customer they do not own; the ticket's timeline shows it.

let database: Database
let org: CrmTenant
let app: ReturnType<typeof testApp>['app']

beforeAll(async () => {
  database = await openTestDatabase()
  org = await serviceTenant(database)
  app = testApp(database).app
})
afterAll(async () => database.close())

const call = (key: string, method: string, path: string, body?: unknown) =>
  apiCall(app, org, key, method, path, body)

describe('上门: on-site visits from a ticket', () => {
  it('plans one visit for the engineer, who checks in and out; the timeline shows both', async () => {
    // The customer belongs to another team's rep: the engineer has no CRM access to it of their own.
    const customer = await createCustomer({
      ctx: ctxAs(database, org, 'huangli'),
      input: { name: '上门测试精密机械', lat: 31.2304, lng: 121.4737 },
    })
    const ticket = await createTicket({
      ctx: systemCtx(database, org),
      input: {
        subject: '注塑机液压泄漏',
        type: '维修',
        customerId: customer.id,
        ownerId: uid(org, 'chenjing'),
      },
    })
    const id = ticket.id
    // The customer's rep sees the ticket but does not work it: 403; nothing planned.
    expect((await call('huangli', 'POST', `/service/tickets/${id}/visit`, {})).status).toBe(403)

    const planned = await call('chenjing', 'POST', `/service/tickets/${id}/visit`, { purpose: '现场检修' })
    expect(planned.status).toBe(200)
    const visitId = planned.body.ticket.visitId as string
    expect(visitId).toMatch(/^vis_/)
    expect(planned.body.timeline.map((e: Json) => e.kind)).toContain('visit')
    // A second tap answers the same visit.
    const again = await call('chenjing', 'POST', `/service/tickets/${id}/visit`, {})
    expect(again.body.ticket.visitId).toBe(visitId)
    expect(again.body.timeline.filter((e: Json) => e.kind === 'visit')).toHaveLength(1)
    // Bad input names the field.
    const bad = await call('chenjing', 'POST', `/service/tickets/${id}/visit`, { plannedAt: 'tomorrow' })
    expect([bad.status, bad.body.error.field]).toEqual([400, 'plannedAt'])

    // The engineer checks in at the customer (about 100 m away) and out with a summary.
    const checkIn = await call('chenjing', 'POST', '/crm/visits/check-in', {
      customerId: customer.id,
      visitId,
      clientKey: `svc-visit-${id}`,
      checkedInAt: new Date().toISOString(),
      lat: 31.2313,
      lng: 121.4737,
      address: '上海市黄浦区',
    })
    expect(checkIn.status).toBe(200)
    // Checking in to another visit of that customer that no ticket links is still refused (no CRM access).
    const own = await call('chenjing', 'POST', '/crm/visits/check-in', {
      customerId: customer.id,
      clientKey: `svc-visit-own-${id}`,
      checkedInAt: new Date().toISOString(),
      lat: 31.2313,
      lng: 121.4737,
    })
    expect(own.status).toBe(404)
    const out = await call('chenjing', 'POST', `/crm/visits/${visitId}/check-out`, {
      summary: '更换密封圈，试机正常',
    })
    expect(out.status).toBe(200)

    const detail = await call('chenjing', 'GET', `/service/tickets/${id}`)
    const kinds = detail.body.timeline.map((e: Json) => e.kind)
    expect(kinds).toEqual(expect.arrayContaining(['visit', 'visit_check_in', 'visit_check_out']))
    const inEntry = detail.body.timeline.find((e: Json) => e.kind === 'visit_check_in')
    expect(inEntry).toMatchObject({ actorName: expect.any(String), body: '上海市黄浦区' })
    expect(inEntry.data.distanceM).toBeGreaterThan(50)
    expect(inEntry.data.distanceM).toBeLessThan(200)
    const outEntry = detail.body.timeline.find((e: Json) => e.kind === 'visit_check_out')
    expect(outEntry.body).toBe('更换密封圈，试机正常')
    // After check-out, 上门 again plans a new visit (a second trip).
    const second = await call('chenjing', 'POST', `/service/tickets/${id}/visit`, {})
    expect(second.body.ticket.visitId).not.toBe(visitId)
  })

  it('refuses 上门 on a ticket without a customer, naming the field, and writes nothing', async () => {
    const ticket = await createTicket({
      ctx: systemCtx(database, org),
      input: { subject: '咨询保修期', type: '咨询', ownerId: uid(org, 'chenjing') },
    })
    const res = await call('chenjing', 'POST', `/service/tickets/${ticket.id}/visit`, {})
    expect([res.status, res.body.error.field]).toEqual([400, 'customerId'])
    const detail = await call('chenjing', 'GET', `/service/tickets/${ticket.id}`)
    expect(detail.body.ticket.visitId).toBeNull()
  })
})
