import { and, eq, inArray } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { runImport } from '../../bot/domain/crm/run-import'
import { toXlsx } from '../../bot/domain/crm/spreadsheet'
import {
  createAssignmentRule,
  createCampaign,
  createLead,
  LEAD_NOTIFY,
  listChannels,
} from '../../bot/domain/leads'
import type { Database } from '../../db/client'
import { leads, leadTouches, outbox } from '../../db/schema'
import { testApp } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'
import { bearer, type CrmTenant, crmTenant, ctxAs, fixedClock } from './crm-harness'

let database: Database
let org: CrmTenant
let app: ReturnType<typeof testApp>['app']
// A Monday 10:00 China time: inside working hours, so the rules assign rather than park leads.
const clock = fixedClock(new Date('2026-03-02T10:00:00+08:00'))
const as = (key: string) => ctxAs(database, org, key, clock)

interface Job {
  id: string
  status: string
  totalRows: number
  okRows: number
  errorRows: number
  errors: Array<{ row: number; field: string; message: string }>
  message: string | null
}

const upload = async (query: string, body: string | Uint8Array, who = 'sunyue') =>
  app.request(`/api/v1/crm/imports?${query}`, {
    method: 'POST',
    headers: { ...(await bearer(org, who)), 'content-type': 'application/octet-stream' },
    body: body as BodyInit,
  })
const jobOf = async (id: string, who = 'sunyue') =>
  (await (await app.request(`/api/v1/crm/imports/${id}`, { headers: await bearer(org, who) })).json()) as Job

let expo = ''
let existingLead = ''
let customerId = ''

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  app = testApp(database).app
  expo = (await listChannels({ ctx: as('wangjianguo') })).find((c) => c.code === 'expo')?.id ?? ''
  await createCampaign({ ctx: as('wangjianguo'), input: { channelId: expo, name: '上海工博会' } })
  await createAssignmentRule({
    ctx: as('wangjianguo'),
    input: {
      name: '展会',
      match: { channelIds: [expo] },
      members: [
        { userId: org.users.liuyang ?? '', capacity: 3000 },
        { userId: org.users.chenjing ?? '', capacity: 3000 },
      ],
    },
  })
  existingLead =
    (
      await createLead({
        ctx: as('liuyang'),
        input: { name: '老线索', phone: '13700000001', channelId: expo },
      })
    ).lead?.id ?? ''
  customerId = (
    await createCustomer({ ctx: as('huangli'), input: { name: '青山机械', phone: '+86 139 0000 0001' } })
  ).id
})
afterAll(async () => database.close())

const CSV = [
  '姓名,公司,电话,邮箱,渠道,活动,需求',
  '王一,甲公司,138 0000 0001,,展会,上海工博会,想要报价',
  '王二,乙公司,0086 13800000002,,expo,,',
  ',丙公司,13800000003,,展会,,',
  '王四,,,,展会,,',
  '王五,,13800000005,,不存在的渠道,,',
  '王六,,13800000006,,展会,无此活动,',
  '老朋友,,+86 137 0000 0001,,展会,,',
  '王一又,,13800000001,,展会,,',
  '青山采购,,13900000001,,展会,,',
].join('\r\n')

describe('lead import (CSV/XLSX through the customer import)', () => {
  it('imports rows through the intake: per-row report, dedupe against leads, customers and the file, rules applied', async () => {
    const cardsBefore = await database.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.tenantId, org.tenantId), eq(outbox.topic, LEAD_NOTIFY)))
    const res = await upload('entity=leads&format=csv&name=expo.csv', CSV)
    expect(res.status).toBe(200)
    const job = (await res.json()) as Job
    expect(job).toMatchObject({ status: 'pending', totalRows: 9 })
    const progress: number[] = []
    await runImport({ ctx: as('sunyue'), jobId: job.id, onProgress: (n) => progress.push(n) })
    expect(progress.at(-1)).toBe(9)
    const done = await jobOf(job.id)
    expect(done).toMatchObject({ status: 'done', okRows: 3, errorRows: 6 })
    expect(done.errors.map((e) => [e.row, e.field])).toEqual([
      [4, 'name'],
      [5, 'phone'],
      [6, 'channel'],
      [7, 'campaign'],
      [8, 'phone'],
      [9, 'phone'],
    ])
    expect(done.errors[4]?.message).toContain('touch')
    // No other owner's data in the report.
    expect(JSON.stringify(done.errors)).not.toContain('刘洋')

    const imported = await database.db
      .select()
      .from(leads)
      .where(
        and(
          eq(leads.tenantId, org.tenantId),
          inArray(leads.phone, ['13800000001', '13800000002', '13900000001']),
        ),
      )
    expect(imported).toHaveLength(3)
    const byPhone = new Map(imported.map((l) => [l.phone, l]))
    expect(byPhone.get('13800000001')).toMatchObject({ name: '王一', company: '甲公司', message: '想要报价' })
    expect(byPhone.get('13800000001')?.campaignId).toMatch(/^lcp_/)
    expect(byPhone.get('13900000001')?.matchedCustomerId).toBe(customerId)
    // The assignment rule shared them out (round robin), each assignee told by a card.
    const owners = imported.map((l) => l.ownerId)
    expect(new Set(owners)).toEqual(new Set([org.users.liuyang, org.users.chenjing]))
    const cardsAfter = await database.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.tenantId, org.tenantId), eq(outbox.topic, LEAD_NOTIFY)))
    expect(cardsAfter.length - cardsBefore.length).toBe(3)
    // The known person and the repeat in the file are touches, not leads.
    const touches = await database.db
      .select()
      .from(leadTouches)
      .where(and(eq(leadTouches.tenantId, org.tenantId), eq(leadTouches.via, 'import')))
    expect(touches.filter((t) => t.leadId === existingLead && t.kind === 'repeat')).toHaveLength(1)
    expect(touches.filter((t) => t.leadId === byPhone.get('13800000001')?.id)).toHaveLength(2)
  })

  it('reads XLSX through the same parser; atomic mode lands nothing when a row is bad', async () => {
    const xlsx = await toXlsx(
      'leads',
      ['name', 'phone', 'channel'],
      [
        ['Lucy', '13600000001', 'expo'],
        ['Tom', '13600000002', 'no-such-channel'],
      ],
    )
    const atomic = (await (await upload('entity=leads&format=xlsx&mode=atomic', xlsx)).json()) as Job
    await runImport({ ctx: as('sunyue'), jobId: atomic.id })
    expect(await jobOf(atomic.id)).toMatchObject({ status: 'failed', okRows: 0, errorRows: 1 })
    const none = await database.db
      .select()
      .from(leads)
      .where(and(eq(leads.tenantId, org.tenantId), eq(leads.phone, '13600000001')))
    expect(none).toHaveLength(0)
    const perRow = (await (await upload('entity=leads&format=xlsx', xlsx)).json()) as Job
    await runImport({ ctx: as('sunyue'), jobId: perRow.id })
    expect(await jobOf(perRow.id)).toMatchObject({ status: 'done', okRows: 1, errorRows: 1 })
  })

  it('refuses a rep (403), a file without the channel column (400 naming file), and stores no job', async () => {
    const rep = await upload('entity=leads&format=csv', '姓名,电话,渠道\r\n甲,13500000001,展会', 'liuyang')
    expect(rep.status).toBe(403)
    const noChannel = await upload('entity=leads&format=csv', '姓名,电话\r\n甲,13500000001')
    expect(noChannel.status).toBe(400)
    const body = (await noChannel.json()) as { error: { field: string; message: string } }
    expect(body.error.field).toBe('file')
    expect(body.error.message).toContain('渠道')
  })
})
