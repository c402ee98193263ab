import { and, eq, like } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { approveTask } from '../../bot/domain/approvals/approve-task'
import { createTemplate } from '../../bot/domain/approvals/create-template'
import { onApprovalFinished } from '../../bot/domain/approvals/on-finished'
import { startInstance } from '../../bot/domain/approvals/start-instance'
import { createContract, submitContract } from '../../bot/domain/contracts'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import type { Database } from '../../db/client'
import { messages, outbox } from '../../db/schema'
import { dayFromNow as D } from '../helpers/dates'
import { openTestDatabase } from '../helpers/db'
import {
  type ApprovalsTenant,
  approvalsTenant,
  ctxAs,
  instanceRow,
  jobRunner,
  pendingTaskOf,
  tasksOf,
  timelineOf,
  uid,
} from './approvals-harness'

let database: Database
let org: ApprovalsTenant
let runner: Awaited<ReturnType<typeof jobRunner>>
beforeAll(async () => {
  database = await openTestDatabase()
  org = await approvalsTenant(database)
  runner = await jobRunner(database, org.tenantId)
})
afterAll(async () => {
  await runner.close()
  await database.close()
})

const hours = (h: number) => new Date(Date.now() + h * 3600_000)
const leave = (who: string) =>
  startInstance({
    ctx: ctxAs(database, org, who),
    input: {
      templateKey: 'leave',
      form: { kind: 'sick', dates: { start: D(30), end: D(31) }, reason: '感冒' },
    },
  })

describe('approval jobs', () => {
  it('delivers the cards, then updates every copy when the state changes', async () => {
    const { instance } = await leave('liuyang')
    await runner.drain()
    const task = await pendingTaskOf(database, org, instance.id, 'zhangwei')
    const ref = `approval:${instance.id}:task:${task.id}`
    const [sent] = await database.db
      .select()
      .from(messages)
      .where(and(eq(messages.tenantId, org.tenantId), eq(messages.ref, ref)))
    expect(sent?.status).toBe('sent')
    expect(sent?.userId).toBe(uid(org, 'zhangwei'))
    await approveTask({ ctx: ctxAs(database, org, 'zhangwei'), input: { taskId: task.id } })
    await runner.drain()
    const [updated] = await database.db
      .select()
      .from(messages)
      .where(and(eq(messages.tenantId, org.tenantId), eq(messages.ref, ref)))
    expect(updated?.cardVersion).toBe((await instanceRow(database, instance.id)).version)
    expect(JSON.stringify(updated?.card)).toContain('已同意')
    const progress = await database.db
      .select()
      .from(messages)
      .where(and(eq(messages.tenantId, org.tenantId), eq(messages.ref, `approval:${instance.id}:progress`)))
    expect(JSON.stringify(progress[0]?.card)).toContain('已通过')
    const cc = await database.db
      .select()
      .from(messages)
      .where(and(eq(messages.tenantId, org.tenantId), like(messages.ref, `approval:${instance.id}:cc:%`)))
    expect(cc).toHaveLength(2)
  })

  it('reminds after X hours and escalates to the manager after Y hours, surviving as outbox rows', async () => {
    const { instance } = await leave('chenjing')
    const due = await database.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.tenantId, org.tenantId), eq(outbox.status, 'pending')))
    const topics = due.map((r) => r.topic)
    expect(topics).toContain('approval.remind')
    expect(topics).toContain('approval.escalate')
    await runner.drain()
    expect((await timelineOf(database, instance.id)).map((e) => e.action)).toEqual(['submit'])
    await runner.drain(hours(5))
    expect((await timelineOf(database, instance.id)).map((e) => e.action)).toEqual(['submit', 'remind'])
    const texts = await database.db
      .select()
      .from(messages)
      .where(
        and(
          eq(messages.tenantId, org.tenantId),
          eq(messages.userId, uid(org, 'zhangwei')),
          eq(messages.kind, 'text'),
        ),
      )
    // The request named as its approver reads it (张伟 reads Chinese).
    expect(texts.some((m) => m.text === '提醒：「陈静的请假：感冒」等待你审批。')).toBe(true)
    await runner.drain(hours(25))
    const actions = (await timelineOf(database, instance.id)).map((e) => e.action)
    expect(actions).toEqual(['submit', 'remind', 'transfer'])
    const now = await pendingTaskOf(database, org, instance.id, 'liming')
    expect(now.origin).toBe('transfer')
    // The transferred task schedules its own reminder; the old one's jobs found it moved on.
    await approveTask({ ctx: ctxAs(database, org, 'liming'), input: { taskId: now.id } })
    await runner.drain(hours(60))
    expect((await timelineOf(database, instance.id)).map((e) => e.action)).toEqual([
      'submit',
      'remind',
      'transfer',
      'approve',
      'cc',
      'finish',
    ])
  })

  it('does nothing when the task was decided before the reminder fell due', async () => {
    const { instance } = await leave('yangfan')
    const task = await pendingTaskOf(database, org, instance.id, 'zhangwei')
    await approveTask({ ctx: ctxAs(database, org, 'zhangwei'), input: { taskId: task.id } })
    await runner.drain(hours(30))
    const actions = (await timelineOf(database, instance.id)).map((e) => e.action)
    expect(actions).not.toContain('remind')
    expect(actions).not.toContain('transfer')
  })

  it('approves automatically after the timeout when the template says so', async () => {
    await createTemplate({
      ctx: ctxAs(database, org, 'wangjianguo'),
      input: {
        key: 'autook',
        name: '自动通过',
        form: [{ key: 'note', label: '说明', type: 'text' }],
        flow: {
          nodes: [
            { id: 'start', type: 'start', next: 'm' },
            {
              id: 'm',
              type: 'approval',
              name: '上级',
              approvers: { kind: 'manager', level: 1 },
              next: 'end',
            },
            { id: 'end', type: 'end' },
          ],
        },
        settings: {
          dedupe: 'none',
          initiatorAutoPass: false,
          escalateAfterHours: 2,
          escalateAction: 'auto_approve',
        },
      },
    })
    const { instance } = await startInstance({
      ctx: ctxAs(database, org, 'huangli'),
      input: { templateKey: 'autook', form: {} },
    })
    await runner.drain(hours(1))
    expect((await instanceRow(database, instance.id)).status).toBe('pending')
    await runner.drain(hours(3))
    expect((await instanceRow(database, instance.id)).status).toBe('approved')
    const [t] = await tasksOf(database, instance.id)
    expect(t?.auto).toBe('escalation')
  })

  it('fires the approval.finished hook with the business reference (CRM contract)', async () => {
    const seen: Array<{ ref: string | null; status: string }> = []
    onApprovalFinished('contract', async ({ event }) => {
      seen.push({ ref: event.businessRef, status: event.status })
    })
    const customer = await createCustomer({
      ctx: ctxAs(database, org, 'liuyang'),
      input: { name: '钩子客户' },
    })
    const contract = await createContract({
      ctx: ctxAs(database, org, 'liuyang'),
      input: { name: '钩子合同', customerId: customer.id, amountCents: 12_000_000 },
    })
    // 合同审批 starts from its contract only: by hand it is refused (400 templateKey), nothing started.
    await expect(
      startInstance({
        ctx: ctxAs(database, org, 'liuyang'),
        input: { templateKey: 'contract', form: { contract: contract.id, amount: 12_000_000 } },
      }),
    ).rejects.toMatchObject({ code: 'invalid_input', details: { field: 'templateKey' } })
    const {
      approval: { instance },
    } = await submitContract({ ctx: ctxAs(database, org, 'liuyang'), contractId: contract.id })
    expect(instance.businessRef).toBe(`contract:${contract.id}`)
    for (const key of ['zhangwei', 'liming', 'zhuhong', 'wangjianguo']) {
      const t = await pendingTaskOf(database, org, instance.id, key)
      await approveTask({ ctx: ctxAs(database, org, key), input: { taskId: t.id } })
    }
    expect((await instanceRow(database, instance.id)).status).toBe('approved')
    await runner.drain()
    expect(seen).toEqual([{ ref: `contract:${contract.id}`, status: 'approved' }])
  })
})
