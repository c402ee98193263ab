import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Card } from '../../bot/chat/model'
import { startInstance } from '../../bot/domain/approvals/start-instance'
import type { Database } from '../../db/client'
import { approvalInstances } from '../../db/schema'
import { dayFromNow as D } from '../helpers/dates'
import { openTestDatabase } from '../helpers/db'
import { cardOfPayload } from '../helpers/outbox-card'
import {
  type ApprovalsTenant,
  approvalsTenant,
  cardsTo,
  ctxAs,
  instanceRow,
  pendingTaskOf,
  say,
  tap,
  tasksOf,
  uid,
} from './approvals-harness'

let database: Database
let org: ApprovalsTenant
let other: ApprovalsTenant
beforeAll(async () => {
  database = await openTestDatabase()
  org = await approvalsTenant(database)
  other = await approvalsTenant(database)
})
afterAll(async () => database.close())

const lastCardTo = async (tenant: ApprovalsTenant, key: string): Promise<Card> => {
  const rows = await cardsTo(database, tenant, key)
  const card = await cardOfPayload(database, rows.at(-1)?.payload)
  if (!card) throw new Error(`no card to ${key}`)
  return card
}

const instancesOf = async (tenant: ApprovalsTenant) =>
  database.db.select().from(approvalInstances).where(eq(approvalInstances.tenantId, tenant.tenantId))

describe('approvals in chat', () => {
  it('发起 请假 answers with a form card; submitting it starts the request', async () => {
    await say(database, org, 'liuyang', '发起 请假')
    const card = await lastCardTo(org, 'liuyang')
    const form = card.elements.find((e) => e.type === 'form')
    if (form?.type !== 'form') throw new Error('no form')
    expect(form.inputs.map((i) => i.name)).toEqual([
      'kind',
      'dates__start',
      'dates__end',
      'reason',
      'handover',
    ])
    const submit = form.buttons[0]?.action
    expect(submit).toMatchObject({ a: 'approval.submit', tpl: 'leave' })
    if (!submit) throw new Error('no submit')
    const bad = await tap(database, org, 'liuyang', submit, {
      kind: 'yacht',
      dates__start: D(30),
      dates__end: D(35),
      reason: '休假',
    })
    expect(bad.toast?.kind).toBe('error')
    expect(bad.toast?.text).toContain('请假类型')
    expect(await instancesOf(org)).toHaveLength(0)
    const ok = await tap(database, org, 'liuyang', submit, {
      kind: 'annual',
      dates__start: `${D(30)} +0800`,
      dates__end: D(35),
      reason: '休假',
      handover: 'chenjing',
    })
    expect(ok.toast?.kind).toBe('success')
    expect(ok.card?.header.title).toBe('已提交')
    const [ins] = await instancesOf(org)
    expect(ins?.form).toMatchObject({ dates: { days: 6 }, handover: uid(org, 'chenjing') })
    const approverCard = await lastCardTo(org, 'zhangwei')
    const buttons = approverCard.elements.find((e) => e.type === 'form')
    expect(JSON.stringify(buttons)).toContain('approval.approve')
    expect(JSON.stringify(approverCard)).toContain('6 天')
  })

  it('我的审批 lists pending tasks; approving from the list refreshes it', async () => {
    await say(database, org, 'zhangwei', '我的审批')
    const card = await lastCardTo(org, 'zhangwei')
    expect(card.header.title).toBe('待我审批')
    const approve = card.elements
      .flatMap((e) => (e.type === 'actions' ? e.buttons : []))
      .find((b) => b.action?.a === 'approval.approve')?.action
    if (!approve) throw new Error('no approve button')
    const r = await tap(database, org, 'zhangwei', approve)
    expect(r.toast?.kind).toBe('success')
    expect(r.card?.header.title).toBe('待我审批')
    const [ins] = await instancesOf(org)
    if (!ins) throw new Error('no instance')
    await pendingTaskOf(database, org, ins.id, 'liming')
  })

  // A complex form's link to the mini-app is covered by bot/cards/approval-form-card.test.ts: no default
  // template a person may start by hand has a required attachment or reference any more.
  it('answers 发起 with the template list when the type is unknown, and points 合同审批 to its contract', async () => {
    await say(database, org, 'liuyang', '发起 出国')
    expect(JSON.stringify(await lastCardTo(org, 'liuyang'))).toContain('没有找到审批类型')
    const before = (await cardsTo(database, org, 'liuyang')).length
    await say(database, org, 'liuyang', 'new contract')
    const rows = await cardsTo(database, org, 'liuyang')
    expect(rows.length).toBe(before + 1)
    const reply = JSON.stringify(rows.at(-1)?.payload)
    expect(reply).toContain('open the contract and tap Submit for approval')
    expect(reply).not.toContain('"type":"form"')
  })

  it('keeps tenants apart: a tap from another tenant finds nothing and changes nothing', async () => {
    const [ins] = await instancesOf(org)
    if (!ins) throw new Error('no instance')
    const task = await pendingTaskOf(database, org, ins.id, 'liming')
    const r = await tap(database, other, 'liming', { a: 'approval.approve', task: task.id, v: task.version })
    expect(r.toast?.kind).toBe('error')
    expect((await pendingTaskOf(database, org, ins.id, 'liming')).version).toBe(task.version)
    expect((await instanceRow(database, ins.id)).status).toBe('pending')
  })

  it('hands a node whose approver left to the admin, and skips a node whose policy is skip', async () => {
    const t3 = await approvalsTenant(database)
    await database.db.execute(sql`update users set status = 'inactive' where id = ${uid(t3, 'zhangwei')}`)
    const view = await startInstance({
      ctx: ctxAs(database, t3, 'liuyang'),
      input: {
        templateKey: 'leave',
        form: { kind: 'sick', dates: { start: D(30), end: D(30) }, reason: 'x' },
      },
    })
    expect(view.plan[0]).toMatchObject({ nodeId: 'manager', toAdmin: true })
    expect([uid(t3, 'wangjianguo'), uid(t3, 'hefang')]).toContain(view.plan[0]?.approverIds[0])
    const purchase = await startInstance({
      ctx: ctxAs(database, t3, 'liuyang'),
      input: { templateKey: 'purchase', form: { items: '显示器', amount: 150_000 } },
    })
    expect(purchase.plan[0]).toMatchObject({ nodeId: 'head', skipped: true })
    const tasks = await tasksOf(database, purchase.instance.id)
    expect(tasks.map((t) => [t3.keyOf[t.assigneeId], t.status])).toEqual([
      ['hefang', 'pending'],
      ['zhuhong', 'waiting'],
    ])
  })
})
