import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { approvalTaskCard } from '../../bot/cards/approval-task-card'
import { approveTask } from '../../bot/domain/approvals/approve-task'
import { rejectTask } from '../../bot/domain/approvals/reject-task'
import { startInstance } from '../../bot/domain/approvals/start-instance'
import { loadView } from '../../bot/domain/approvals/view'
import { DomainError } from '../../bot/domain/errors'
import { DEFAULT_TIME_ZONE } from '../../bot/lib/time-zone'
import type { Database } from '../../db/client'
import { approvalInstances } from '../../db/schema'
import { dayFromNow } from '../helpers/dates'
import { openTestDatabase } from '../helpers/db'
import { type ApprovalsTenant, approvalsTenant, ctxAs, pendingTaskOf, tap } from './approvals-harness'

/** 拒绝 and 退回 need a reason whichever channel the approver uses; from chat they also confirm first. */
let database: Database
let org: ApprovalsTenant

beforeAll(async () => {
  database = await openTestDatabase()
  org = await approvalsTenant(database)
})
afterAll(async () => database?.close())

const statusOf = async (id: string) =>
  (await database.db.select().from(approvalInstances).where(eq(approvalInstances.id, id)))[0]?.status

async function claim() {
  const view = await startInstance({
    ctx: ctxAs(database, org, 'liuyang'),
    input: {
      templateKey: 'expense',
      form: { category: 'travel', amount: 120_00, date: dayFromNow(-1), description: '打车' },
    },
  })
  return { id: view.instance.id, task: await pendingTaskOf(database, org, view.instance.id, 'zhangwei') }
}

describe('a reason to reject or return', () => {
  it('refuses a chat 拒绝 or 退回 with an empty comment, changes nothing, and says what is missing', async () => {
    const { id, task } = await claim()
    const rejected = await tap(database, org, 'zhangwei', {
      a: 'approval.reject',
      task: task.id,
      v: task.version,
    })
    expect(rejected.toast).toEqual({ kind: 'warning', text: '请先在「审批意见」中填写拒绝理由' })
    expect(rejected.card).toBeUndefined()
    const returned = await tap(
      database,
      org,
      'zhangwei',
      { a: 'approval.return', task: task.id, v: task.version },
      { comment: '   ' },
    )
    expect(returned.toast?.text).toBe('请先在「审批意见」中填写退回理由')
    expect(await statusOf(id)).toBe('pending')

    const done = await tap(
      database,
      org,
      'zhangwei',
      { a: 'approval.reject', task: task.id, v: task.version },
      { comment: '票据不全' },
    )
    expect(done.toast?.kind).toBe('success')
    expect(await statusOf(id)).toBe('rejected')
  })

  it('refuses a rejection without a reason in the domain, whatever the channel', async () => {
    const { id, task } = await claim()
    const attempt = rejectTask({
      ctx: ctxAs(database, org, 'zhangwei'),
      input: { taskId: task.id, comment: ' ' },
    })
    await expect(attempt).rejects.toBeInstanceOf(DomainError)
    await expect(attempt).rejects.toMatchObject({ code: 'invalid_input', details: { field: 'comment' } })
    expect(await statusOf(id)).toBe('pending')
  })

  it('asks to confirm 拒绝 and 退回 on the card, while 同意 stays one tap', async () => {
    const { id, task } = await claim()
    const card = approvalTaskCard(
      await loadView(ctxAs(database, org, 'zhangwei'), id),
      task.id,
      'zh-CN',
      DEFAULT_TIME_ZONE,
    )
    const form = card.elements.find((e) => e.type === 'form')
    if (form?.type !== 'form') throw new Error('no form on the task card')
    const byAction = (a: string) => form.buttons.find((b) => b.action?.a === a)
    expect(byAction('approval.reject')?.confirm?.title).toBe('确认拒绝？')
    expect(byAction('approval.return')?.confirm?.title).toBe('确认退回？')
    expect(byAction('approval.approve')?.confirm).toBeUndefined()
    expect(form.inputs.find((i) => i.name === 'comment')?.placeholder).toBe('拒绝、退回时必填')
  })

  it('keeps the chat task card to the decision, with the context to make it (m3)', async () => {
    // Over ¥5,000: the manager, then finance. Finance's card shows what the manager said.
    const view = await startInstance({
      ctx: ctxAs(database, org, 'liuyang'),
      input: {
        templateKey: 'expense',
        form: { category: 'travel', amount: 6000_00, date: dayFromNow(-1), description: '展会差旅' },
      },
    })
    const first = await pendingTaskOf(database, org, view.instance.id, 'zhangwei')
    await approveTask({
      ctx: ctxAs(database, org, 'zhangwei'),
      input: { taskId: first.id, comment: '展会预算内，同意', version: first.version },
    })
    const finance = await pendingTaskOf(database, org, view.instance.id, 'hubin')
    for (const locale of ['zh-CN', 'en'] as const) {
      const card = approvalTaskCard(
        await loadView(ctxAs(database, org, 'hubin'), view.instance.id),
        finance.id,
        locale,
        DEFAULT_TIME_ZONE,
      )
      const form = card.elements.find((e) => e.type === 'form')
      if (form?.type !== 'form') throw new Error('no form on the task card')
      // 同意 拒绝 退回 and one comment box; no person picker. Transfer and add-signer live on the detail page.
      expect(form.buttons.map((b) => b.action?.a)).toEqual([
        'approval.approve',
        'approval.reject',
        'approval.return',
      ])
      expect(form.inputs.map((i) => i.name)).toEqual(['comment'])
      const links = card.elements.flatMap((e) => (e.type === 'actions' ? e.buttons : []))
      expect(links.map((b) => (b.link && 'path' in b.link ? b.link.path : null))).toContain(
        `/approvals/${view.instance.id}`,
      )
      expect(links[0]?.text).toBe(locale === 'en' ? 'Details (transfer, add signer)' : '详情（转交、加签）')
      const text = JSON.stringify(card)
      // The earlier approver's comment, and when it was submitted.
      expect(text).toContain(locale === 'en' ? 'Wei Zhang: 展会预算内，同意' : '张伟：展会预算内，同意')
      expect(text).toContain(locale === 'en' ? 'Submitted ' : '提交于 ')
    }
  })
})
