import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Card } from '../../bot/chat/model'
import type { SendMessagePayload } from '../../bot/domain/chat/send'
import type { Database } from '../../db/client'
import { leads } from '../../db/schema'
import { openTestDatabase } from '../helpers/db'
import { type CrmTenant, crmTenant, outboxOf, say, tap } from './crm-harness'

let database: Database
let org: CrmTenant

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
})
afterAll(async () => database.close())

const lastCard = async (): Promise<Card> => {
  const rows = await outboxOf(database, org)
  const p = rows.at(-1)?.payload as unknown as SendMessagePayload
  if (p?.content.kind !== 'card') throw new Error(`expected a card, got ${JSON.stringify(p?.content)}`)
  return p.content.card
}

describe('lead capture in chat', () => {
  it('「线索 张三 13800000000 华为 想了解报价」 gives a confirm card; confirming stores the lead and shows its card', async () => {
    await say(database, org, 'liuyang', '线索 张三 13800000000 华为 想了解报价')
    const card = await lastCard()
    expect(card.header.title).toBe('确认新线索')
    const form = card.elements.find((e) => e.type === 'form')
    if (form?.type !== 'form') throw new Error('no form')
    const value = (n: string) => form.inputs.find((i) => i.name === n)?.defaultValue
    expect([value('name'), value('phone'), value('company'), value('message')]).toEqual([
      '张三',
      '13800000000',
      '华为',
      '想了解报价',
    ])
    const before = await database.db.select().from(leads).where(eq(leads.tenantId, org.tenantId))
    expect(before).toHaveLength(0)
    const result = await tap(
      database,
      org,
      'liuyang',
      { a: 'lead.create' },
      {
        name: '张三',
        phone: '13800000000',
        company: '华为',
        message: '想了解报价',
        channel: value('channel'),
      },
    )
    expect(result.toast?.kind).toBe('success')
    const text = JSON.stringify(result.card)
    for (const s of ['线索：张三', '华为', '电话', '写跟进', '转交', '无效']) expect(text).toContain(s)
    const [row] = await database.db
      .select()
      .from(leads)
      .where(and(eq(leads.tenantId, org.tenantId), eq(leads.phone, '13800000000')))
    expect(row?.ownerId).toBe(org.users.liuyang)

    const follow = await tap(
      database,
      org,
      'liuyang',
      { a: 'lead.followup', lead: row?.id ?? '' },
      { content: '已电话联系' },
    )
    expect(follow.toast?.kind).toBe('success')
    const outsider = await tap(
      database,
      org,
      'huangli',
      { a: 'lead.invalid', lead: row?.id ?? '' },
      { reason: '无需求' },
    )
    expect(outsider.toast?.kind).toBe('error')
    const [after] = await database.db
      .select()
      .from(leads)
      .where(eq(leads.id, row?.id ?? ''))
    expect(after?.status).toBe('contacted')
  })

  it('「渠道」 answers with the channel figures card', async () => {
    await say(database, org, 'liuyang', '渠道')
    const card = await lastCard()
    expect(card.header.title).toBe('渠道转化分析')
    expect(JSON.stringify(card)).toContain('仅含你负责的线索')
  })

  it('an unreadable lead line gets the expected format back', async () => {
    await say(database, org, 'liuyang', '线索')
    const rows = await outboxOf(database, org)
    const p = rows.at(-1)?.payload as unknown as SendMessagePayload
    expect(p.content).toEqual({ kind: 'text', text: '请这样写：线索 张三 13800000000 华为 想了解报价' })
  })
})
