import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Card } from '../../bot/chat/model'
import type { Database } from '../../db/client'
import { dayFromNow as D } from '../helpers/dates'
import { openTestDatabase } from '../helpers/db'
import { cardOfPayload } from '../helpers/outbox-card'
import { type ApprovalsTenant, approvalsTenant, cardsTo, say, tap } from './approvals-harness'

let database: Database
let org: ApprovalsTenant
beforeAll(async () => {
  database = await openTestDatabase()
  org = await approvalsTenant(database)
})
afterAll(async () => database.close())

const lastCardTo = async (key: string): Promise<Card> => {
  const card = await cardOfPayload(database, (await cardsTo(database, org, key)).at(-1)?.payload)
  if (!card) throw new Error(`no card to ${key}`)
  return card
}
const flowText = (card: Card) =>
  card.elements.flatMap((e) =>
    e.type === 'markdown' && e.text.startsWith('**审批流程') ? [e.text] : [],
  )[0] ??
  card.elements.flatMap((e) =>
    e.type === 'markdown' && e.text.startsWith('**Approval flow') ? [e.text] : [],
  )[0]
const formOf = (card: Card) => {
  const form = card.elements.find((e) => e.type === 'form')
  if (form?.type !== 'form') throw new Error('no form')
  return form
}

describe('the chat form card shows who will approve (M10)', () => {
  it('lists the flow for the empty form, and redraws it for the values typed, keeping them', async () => {
    await say(database, org, 'liuyang', '发起 请假')
    const card = await lastCardTo('liuyang')
    const before = flowText(card)
    expect(before).toContain('1. 直属上级（审批）：张伟')
    expect(before).toContain('抄送人事（抄送）')
    expect(before).not.toContain('李明')
    expect(JSON.stringify(card)).toContain('流程随填写内容变化：请假天数（超过 3 天）')
    const update = formOf(card).buttons.find((b) => b.action?.a === 'approval.preview')?.action
    if (!update) throw new Error('no update button')
    const typed = { kind: 'annual', dates__start: D(30), dates__end: D(35), reason: '休假' }
    const r = await tap(database, org, 'liuyang', update, typed)
    if (!r.card) throw new Error('no card')
    const after = flowText(r.card)
    expect(after).toContain('1. 直属上级（审批）：张伟')
    expect(after).toMatch(/2\. 部门负责人（审批）：李明/)
    const inputs = formOf(r.card).inputs
    expect(inputs.find((i) => i.name === 'dates__end')?.defaultValue).toBe(D(35))
    expect(inputs.find((i) => i.name === 'kind')?.defaultValue).toBe('annual')
    // A short leave again: the department head is gone.
    const short = await tap(database, org, 'liuyang', update, { ...typed, dates__end: D(30) })
    expect(flowText(short.card as Card)).not.toContain('李明')
  })

  it('in English: step names and options come from the template, with no Chinese left', async () => {
    await say(database, org, 'liuyang', 'new leave')
    const card = await lastCardTo('liuyang')
    const text = flowText(card) ?? ''
    expect(text).toContain('1. Manager (approve): ')
    expect(text).not.toMatch(/[审批抄送直属上级部门负责人]/)
    const kind = formOf(card).inputs.find((i) => i.name === 'kind')
    expect(kind?.placeholder).toBe('Choose')
    expect(kind?.options?.map((o) => o.label)).toEqual([
      'Annual leave',
      'Personal leave',
      'Sick leave',
      'Time off in lieu',
    ])
  })
})
