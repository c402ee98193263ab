import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../bot/app'
import { addContact } from '../../bot/domain/crm/add-contact'
import { checkInVisit } from '../../bot/domain/crm/check-in-visit'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { createFollowUp } from '../../bot/domain/crm/create-follow-up'
import { getRelationGraph, linkCustomers } from '../../bot/domain/crm/relations'
import { updateCustomer } from '../../bot/domain/crm/update-customer'
import { parseEnv } from '../../bot/env'
import { systemClock } from '../../bot/lib/clock'
import { createLogger } from '../../bot/lib/logger'
import { createMemoryStorage } from '../../bot/lib/storage/types'
import type { Database } from '../../db/client'
import { InlineQueue } from '../../jobs/drivers/inline'
import { TEST_SESSION_SECRET } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'
import { bearer, type CrmTenant, crmTenant, ctxAs } from './crm-harness'

let database: Database
let org: CrmTenant

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
})
afterAll(async () => database.close())

describe('the customer card', () => {
  it('returns customer, contacts, follow-ups, visits, relations, a merged timeline and empty later sections in one call', async () => {
    const rep = ctxAs(database, org, 'liuyang')
    const name = (n: string) => ({ name: n })
    const hub = await createCustomer({
      ctx: rep,
      input: { ...name('宁波舟山港股份有限公司'), lat: 29.87, lng: 121.55 },
    })
    const supplier = await createCustomer({ ctx: rep, input: name('宁波港口机械有限公司') })
    const parent = await createCustomer({ ctx: rep, input: name('浙江省海港投资运营集团有限公司') })
    const grand = await createCustomer({ ctx: rep, input: name('浙江海港控股集团') })
    const hidden = await createCustomer({
      ctx: ctxAs(database, org, 'huangli'),
      input: name('北方某钢铁公司'),
    })
    await linkCustomers({
      ctx: rep,
      customerId: supplier.id,
      input: { toCustomerId: hub.id, kind: 'supplier' },
    })
    await linkCustomers({ ctx: rep, customerId: parent.id, input: { toCustomerId: hub.id, kind: 'parent' } })
    await linkCustomers({
      ctx: rep,
      customerId: grand.id,
      input: { toCustomerId: parent.id, kind: 'parent' },
    })
    await linkCustomers({
      ctx: ctxAs(database, org, 'wangjianguo'),
      customerId: hidden.id,
      input: { toCustomerId: hub.id, kind: 'distributor' },
    })
    await expect(
      linkCustomers({ ctx: rep, customerId: hub.id, input: { toCustomerId: hub.id, kind: 'partner' } }),
    ).rejects.toMatchObject({
      details: { field: 'toCustomerId' },
    })
    await expect(
      linkCustomers({ ctx: rep, customerId: supplier.id, input: { toCustomerId: hub.id, kind: 'supplier' } }),
    ).rejects.toMatchObject({ code: 'conflict' })
    await addContact({
      ctx: rep,
      customerId: hub.id,
      input: { name: '毛总', title: '总经理', decisionRole: 'decision_maker', isPrimary: true },
    })
    await createFollowUp({ ctx: rep, customerId: hub.id, input: { kind: 'call', content: '约了拜访' } })
    await checkInVisit({
      ctx: rep,
      input: {
        customerId: hub.id,
        clientKey: 'card-test-0001',
        checkedInAt: new Date().toISOString(),
        lat: 29.87,
        lng: 121.55,
      },
    })
    await updateCustomer({ ctx: rep, customerId: hub.id, input: { tier: 'A' } })

    const graph = await getRelationGraph({ ctx: rep, customerId: hub.id })
    expect(graph.nodes.map((n) => [n.name, n.depth]).sort()).toEqual(
      [
        ['宁波舟山港股份有限公司', 0],
        ['宁波港口机械有限公司', 1],
        ['浙江省海港投资运营集团有限公司', 1],
        ['浙江海港控股集团', 2],
      ].sort(),
    )
    expect(graph.edges).toHaveLength(3)
    const admin = await getRelationGraph({
      ctx: ctxAs(database, org, 'wangjianguo'),
      customerId: hub.id,
      depth: 1,
    })
    expect(admin.nodes.map((n) => n.name)).toContain('北方某钢铁公司')
    expect(admin.nodes.map((n) => n.name)).not.toContain('浙江海港控股集团')

    const storage = createMemoryStorage()
    const app = createApp({
      env: parseEnv({ LOG_LEVEL: 'silent' }),
      database,
      queue: new InlineQueue(),
      logger: createLogger('silent'),
      clock: systemClock,
      sessionSecret: TEST_SESSION_SECRET,
      storage,
    })
    const res = await app.request(`/api/v1/crm/customers/${hub.id}/card`, {
      headers: await bearer(org, 'liuyang'),
    })
    expect(res.status).toBe(200)
    const card = (await res.json()) as Record<string, unknown> & {
      timeline: Array<{ kind: string }>
      contacts: unknown[]
      followUps: unknown[]
      visits: Array<{ id: string }>
      relations: { nodes: unknown[] }
    }
    expect(card).toMatchObject({
      opportunities: [],
      contracts: [],
      payments: [],
      approvals: [],
      customer: { tier: 'A' },
    })
    expect(card.contacts).toHaveLength(1)
    expect(card.followUps).toHaveLength(1)
    expect(card.visits).toHaveLength(1)
    expect(card.relations.nodes).toHaveLength(4)
    expect(new Set(card.timeline.map((e) => e.kind))).toEqual(new Set(['follow_up', 'visit', 'change']))
    expect(JSON.stringify(card)).not.toContain('北方某钢铁公司')

    // A photo through the HTTP route lands in the storage port.
    const visitId = card.visits[0]?.id ?? ''
    const photo = await app.request(`/api/v1/crm/visits/${visitId}/photos?name=front.png`, {
      method: 'POST',
      headers: { ...(await bearer(org, 'liuyang')), 'content-type': 'image/png' },
      body: new Uint8Array([0x89, 0x50, 0x4e, 0x47]),
    })
    expect(photo.status).toBe(200)
    const key = ((await photo.json()) as { photos: Array<{ key: string }> }).photos[0]?.key ?? ''
    expect((await storage.get(key))?.data).toEqual(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))
    const bad = await app.request(`/api/v1/crm/visits/${visitId}/photos`, {
      method: 'POST',
      headers: { ...(await bearer(org, 'chenjing')), 'content-type': 'image/png' },
      body: new Uint8Array([1]),
    })
    expect(bad.status).toBe(404)
  })
})
