import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Card } from '../../bot/chat/model'
import type { SendMessagePayload } from '../../bot/domain/chat/send'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { createOpportunity } from '../../bot/domain/opportunities'
import type { Database } from '../../db/client'
import { opportunities, outbox } from '../../db/schema'
import { openTestDatabase } from '../helpers/db'
import { type CrmTenant, crmTenant, ctxAs, say, tap } from './crm-harness'

let database: Database
let org: CrmTenant
let oppId = ''

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  const hw = await createCustomer({
    ctx: ctxAs(database, org, 'liuyang'),
    input: { name: '华为技术有限公司' },
  })
  oppId = (
    await createOpportunity({
      ctx: ctxAs(database, org, 'liuyang'),
      input: { name: '华为 OA 项目', customerId: hw.id, amountCents: 12_000_000 },
    })
  ).id
})
afterAll(async () => database?.close())

const lastReply = async (): Promise<SendMessagePayload['content']> => {
  const rows = await database.db
    .select()
    .from(outbox)
    .where(and(eq(outbox.tenantId, org.tenantId), eq(outbox.topic, 'send.message')))
    .orderBy(outbox.id)
  const p = rows.at(-1)?.payload as unknown as SendMessagePayload | undefined
  if (!p) throw new Error('no reply')
  return p.content
}

describe('deals in chat', () => {
  it('「商机 华为」 and `deal huawei` answer with the opportunity card; a colleague outside the scope finds nothing', async () => {
    await say(database, org, 'liuyang', '商机 华为')
    const zh = await lastReply()
    const card = (zh as { card: Card }).card
    expect(card.header.title).toBe('华为 OA 项目')
    expect(JSON.stringify(card)).toContain('¥120,000.00')
    await say(database, org, 'liuyang', 'deal huawei')
    expect(((await lastReply()) as { card: Card }).card.header.title).toBe('华为 OA 项目')
    await say(database, org, 'chenjing', '商机 华为')
    expect(await lastReply()).toEqual({ kind: 'text', text: '没有找到「华为」相关的进行中商机。' })
  })

  it('a stage button on the card moves the deal; a stale card or an outsider changes nothing', async () => {
    await say(database, org, 'liuyang', '商机 华为')
    const card = ((await lastReply()) as { card: Card }).card
    const buttons = card.elements.flatMap((e) => (e.type === 'actions' ? e.buttons : []))
    const quote = buttons.find((b) => b.text === '方案报价')?.action
    if (!quote) throw new Error('no stage button')
    const outsider = await tap(database, org, 'chenjing', quote)
    expect(outsider.toast?.kind).toBe('error')
    const r = await tap(database, org, 'liuyang', quote)
    expect(r.toast?.kind).toBe('success')
    expect(JSON.stringify(r.card)).toContain('50%')
    const stale = await tap(database, org, 'liuyang', { ...quote, stage: buttons[0]?.action?.stage ?? '' })
    expect(stale.toast?.kind).toBe('error')
    const [row] = await database.db.select().from(opportunities).where(eq(opportunities.id, oppId))
    expect(row?.winProbability).toBe(50)
  })
})
