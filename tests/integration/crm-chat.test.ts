import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Card } from '../../bot/chat/model'
import type { SendMessagePayload } from '../../bot/domain/chat/send'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { listFollowUps } from '../../bot/domain/crm/create-follow-up'
import type { Database } from '../../db/client'
import { openTestDatabase } from '../helpers/db'
import { type CrmTenant, crmTenant, ctxAs, outboxOf, say, tap } from './crm-harness'

let database: Database
let org: CrmTenant
let bocId: string

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  const rep = ctxAs(database, org, 'liuyang')
  bocId = (
    await createCustomer({
      ctx: rep,
      input: { name: '中国银行股份有限公司', shortName: '中行', lat: 39.9139, lng: 116.3612 },
    })
  ).id
  await createCustomer({ ctx: rep, input: { name: '中国工商银行股份有限公司', lat: 39.9151, lng: 116.3597 } })
  await createCustomer({ ctx: ctxAs(database, org, 'huangli'), input: { name: '中国农业银行股份有限公司' } })
})
afterAll(async () => database.close())

const lastCard = async (): Promise<{ card: Card; to: unknown }> => {
  const rows = await outboxOf(database, org)
  const p = rows.at(-1)?.payload as unknown as SendMessagePayload
  if (p?.content.kind !== 'card') throw new Error(`expected a card, got ${JSON.stringify(p?.content)}`)
  return { card: p.content.card, to: p.to }
}

describe('chat customer lookup', () => {
  it('`客户 zgyh` answers with the customer card: facts, last follow-up, mini-app buttons and a quick form', async () => {
    await say(database, org, 'liuyang', '客户 zgyh')
    const { card, to } = await lastCard()
    expect(to).toEqual({ userId: org.users.liuyang })
    expect(card.header.title).toBe('中国银行股份有限公司')
    const buttons = card.elements.flatMap((e) => (e.type === 'actions' ? e.buttons : []))
    expect(buttons.find((b) => b.text === '记拜访')?.link).toEqual({ path: `/customers/${bocId}/visit` })
    expect(buttons.find((b) => b.text === '写跟进')?.link).toEqual({ path: `/customers/${bocId}/follow-up` })
    const form = card.elements.find((e) => e.type === 'form')
    expect(form?.type === 'form' && form.buttons[0]?.action).toEqual({
      a: 'crm.followup.quick',
      customer: bocId,
    })
  })

  it('several matches give a pick list; someone else’s customers are not in it', async () => {
    await say(database, org, 'liuyang', '客户 银行')
    const { card } = await lastCard()
    expect(card.header.title).toBe('找到 2 个客户')
    expect(JSON.stringify(card)).not.toContain('农业银行')
    await say(database, org, 'liuyang', 'customer huawei')
    const rows = await outboxOf(database, org)
    expect((rows.at(-1)?.payload as unknown as SendMessagePayload | undefined)?.content).toEqual({
      kind: 'text',
      text: 'No customer matches "huawei".',
    })
  })

  it('the quick follow-up form records a follow-up and refreshes the card; a tapper outside scope gets an error', async () => {
    const result = await tap(
      database,
      org,
      'liuyang',
      { a: 'crm.followup.quick', customer: bocId },
      { kind: 'call', content: '电话沟通了年度预算', next: '' },
    )
    expect(result.toast?.kind).toBe('success')
    expect(JSON.stringify(result.card)).toContain('电话沟通了年度预算')
    const list = await listFollowUps({ ctx: ctxAs(database, org, 'liuyang'), customerId: bocId })
    expect(list[0]?.content).toBe('电话沟通了年度预算')
    const outsider = await tap(
      database,
      org,
      'huangli',
      { a: 'crm.followup.quick', customer: bocId },
      { kind: 'call', content: '想偷看' },
    )
    expect(outsider.toast?.kind).toBe('error')
    expect(outsider.card).toBeUndefined()
    const empty = await tap(
      database,
      org,
      'liuyang',
      { a: 'crm.followup.quick', customer: bocId },
      { kind: 'call', content: '' },
    )
    expect(empty.toast?.kind).toBe('error')
    expect(await listFollowUps({ ctx: ctxAs(database, org, 'liuyang'), customerId: bocId })).toHaveLength(1)
  })

  it('a shared location lists the nearest customers with check-in buttons that check in once', async () => {
    await say(database, org, 'liuyang', '附近客户', { lat: 39.914, lng: 116.3611 })
    const { card } = await lastCard()
    expect(card.header.title).toBe('附近的客户')
    const buttons = card.elements.flatMap((e) => (e.type === 'actions' ? e.buttons : []))
    expect(buttons[0]?.text).toBe('签到 中国银行股份有限公司')
    const payload = buttons[0]?.action
    if (!payload) throw new Error('no check-in button')
    const first = await tap(database, org, 'liuyang', payload)
    expect(first.toast).toEqual({ kind: 'success', text: '✅ 已签到' })
    const second = await tap(database, org, 'liuyang', payload)
    expect(second.toast?.kind).toBe('success')
  })
})
