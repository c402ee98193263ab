import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startInstance } from '../../bot/domain/approvals/start-instance'
import type { Database } from '../../db/client'
import { openTestDatabase } from '../helpers/db'
import {
  type ApprovalsTenant,
  approvalsTenant,
  cardsTo,
  ctxAs,
  instanceRow,
  pendingTaskOf,
  tap,
  tasksOf,
  timelineOf,
} from './approvals-harness'

let database: Database
let org: ApprovalsTenant
beforeAll(async () => {
  database = await openTestDatabase()
  org = await approvalsTenant(database)
})
afterAll(async () => database.close())

const leave = (days: number) => ({
  templateKey: 'leave',
  form: {
    kind: 'annual',
    dates: { start: D(30), end: D(29 + days) },
    reason: '回老家',
  },
})

describe('leave request', () => {
  it('goes over 3 days through the condition to the department head, then CC to HR', async () => {
    const view = await startInstance({ ctx: ctxAs(database, org, 'liuyang'), input: leave(5) })
    const ins = view.instance
    expect(ins.form.dates).toEqual({ start: D(30), end: D(34), days: 5 })
    expect(view.plan.map((s) => s.nodeId)).toEqual(['manager', 'head', 'hr'])
    const first = await pendingTaskOf(database, org, ins.id, 'zhangwei')
    const r1 = await tap(
      database,
      org,
      'zhangwei',
      { a: 'approval.approve', task: first.id, v: first.version },
      { comment: '同意' },
    )
    expect(r1.toast?.kind).toBe('success')
    expect(r1.card?.header.title).toContain('请假')
    expect(JSON.stringify(r1.card)).toContain('张伟 已同意')
    const second = await pendingTaskOf(database, org, ins.id, 'liming')
    const r2 = await tap(database, org, 'liming', {
      a: 'approval.approve',
      task: second.id,
      v: second.version,
    })
    expect(r2.toast?.kind).toBe('success')
    const done = await instanceRow(database, ins.id)
    expect(done.status).toBe('approved')
    const tasks = await tasksOf(database, ins.id)
    expect(
      tasks
        .filter((t) => t.kind === 'cc')
        .map((t) => org.keyOf[t.assigneeId])
        .sort(),
    ).toEqual(['hefang', 'lintao'])
    const actions = (await timelineOf(database, ins.id)).map((e) => e.action)
    expect(actions).toEqual(['submit', 'approve', 'approve', 'cc', 'finish'])
    expect((await cardsTo(database, org, 'liuyang')).length).toBeGreaterThanOrEqual(2)
  })

  it('stays with the direct manager for 3 days or less', async () => {
    const view = await startInstance({ ctx: ctxAs(database, org, 'liuyang'), input: leave(3) })
    expect(view.plan.map((s) => s.nodeId)).toEqual(['manager', 'hr'])
  })
})

import { addSigner } from '../../bot/domain/approvals/add-signer'
import { approveTask } from '../../bot/domain/approvals/approve-task'
import { createTemplate } from '../../bot/domain/approvals/create-template'
import { rejectTask } from '../../bot/domain/approvals/reject-task'
import { resubmitInstance } from '../../bot/domain/approvals/resubmit-instance'
import { returnTask } from '../../bot/domain/approvals/return-task'
import type { TemplateDefinitionInput } from '../../bot/domain/approvals/schemas'
import { transferTask } from '../../bot/domain/approvals/transfer-task'
import { withdrawInstance } from '../../bot/domain/approvals/withdraw-instance'
import { DomainError } from '../../bot/domain/errors'
import { dayFromNow as D } from '../helpers/dates'
import { cardOfPayload } from '../helpers/outbox-card'
import { uid } from './approvals-harness'

/** A one-field template whose single approval node has these approvers and mode. */
async function simpleTemplate(
  key: string,
  approvers: string[],
  mode: 'sequential' | 'all' | 'any',
  settings: TemplateDefinitionInput['settings'] = {
    dedupe: 'none',
    initiatorAutoPass: false,
    escalateAction: 'to_manager',
  },
  extraNodes: 'none' | 'two' = 'none',
) {
  const ids = approvers.map((k) => uid(org, k))
  const nodes: TemplateDefinitionInput['flow']['nodes'] =
    extraNodes === 'two'
      ? [
          { id: 'start', type: 'start', next: 'a' },
          {
            id: 'a',
            type: 'approval',
            name: '第一步',
            approvers: { kind: 'users', userIds: ids },
            mode,
            emptyPolicy: 'admin',
            next: 'b',
          },
          {
            id: 'b',
            type: 'approval',
            name: '第二步',
            approvers: { kind: 'users', userIds: ids },
            mode,
            emptyPolicy: 'admin',
            next: 'end',
          },
          { id: 'end', type: 'end' },
        ]
      : [
          { id: 'start', type: 'start', next: 'a' },
          {
            id: 'a',
            type: 'approval',
            name: '审批',
            approvers: { kind: 'users', userIds: ids },
            mode,
            emptyPolicy: 'admin',
            next: 'end',
          },
          { id: 'end', type: 'end' },
        ]
  await createTemplate({
    ctx: ctxAs(database, org, 'wangjianguo'),
    input: {
      key,
      name: key,
      form: [{ key: 'note', label: '说明', type: 'text', required: true }],
      flow: { nodes },
      settings,
    },
  })
}

const start = (initiator: string, templateKey: string) =>
  startInstance({ ctx: ctxAs(database, org, initiator), input: { templateKey, form: { note: 'x' } } })

const errorOf = async (p: Promise<unknown>): Promise<DomainError> => {
  try {
    await p
  } catch (err) {
    if (err instanceof DomainError) return err
    throw err
  }
  throw new Error('expected a DomainError')
}

describe('会签 (all must approve)', () => {
  it('needs all three approvers before the request passes', async () => {
    await simpleTemplate('cs3', ['zhangwei', 'liming', 'zhuhong'], 'all')
    const { instance } = await start('liuyang', 'cs3')
    for (const [i, k] of ['zhangwei', 'liming', 'zhuhong'].entries()) {
      const task = await pendingTaskOf(database, org, instance.id, k)
      const r = await tap(database, org, k, { a: 'approval.approve', task: task.id, v: task.version })
      expect(r.toast?.kind).toBe('success')
      expect((await instanceRow(database, instance.id)).status).toBe(i < 2 ? 'pending' : 'approved')
    }
  })
})

describe('或签 (any one)', () => {
  it('resolves parallel taps from every approver, repeated, to exactly one transition', async () => {
    await simpleTemplate('or3', ['zhangwei', 'liming', 'zhuhong'], 'any')
    const { instance } = await start('liuyang', 'or3')
    const tasks = await tasksOf(database, instance.id)
    const taps = tasks.flatMap((t) =>
      [1, 2, 3].map(() =>
        tap(database, org, org.keyOf[t.assigneeId] ?? '', {
          a: 'approval.approve',
          task: t.id,
          v: t.version,
        }),
      ),
    )
    const results = await Promise.all(taps)
    const wins = results.filter((r) => r.toast?.kind === 'success')
    expect(wins).toHaveLength(1)
    for (const r of results) expect(r.card?.header.title).toContain('or3')
    const losers = results.filter((r) => r.toast?.kind !== 'success')
    const winner = (await tasksOf(database, instance.id)).find((t) => t.status === 'approved')
    const winnerName =
      { zhangwei: '张伟', liming: '李明', zhuhong: '朱红' }[org.keyOf[winner?.assigneeId ?? ''] ?? ''] ?? '?'
    for (const r of losers) expect(r.toast?.text).toContain(winnerName)
    const after = await tasksOf(database, instance.id)
    expect(after.filter((t) => t.status === 'approved')).toHaveLength(1)
    expect(after.filter((t) => t.status === 'cancelled')).toHaveLength(2)
    const timeline = await timelineOf(database, instance.id)
    expect(timeline.filter((e) => e.action === 'approve')).toHaveLength(1)
    const ins = await instanceRow(database, instance.id)
    expect(ins.status).toBe('approved')
    // 1 when submitted, 2 after the one decision.
    expect(ins.version).toBe(2)
  })

  it('refuses a tap from someone who is not the approver, and changes nothing', async () => {
    const { instance } = await start('liuyang', 'or3')
    const task = (await tasksOf(database, instance.id))[0]
    if (!task) throw new Error('no task')
    const r = await tap(database, org, 'chenjing', { a: 'approval.approve', task: task.id, v: task.version })
    expect(r.toast?.kind).toBe('error')
    expect(r.card).toBeUndefined()
    expect((await instanceRow(database, instance.id)).version).toBe(1)
    expect((await timelineOf(database, instance.id)).map((e) => e.action)).toEqual(['submit'])
  })
})

describe('return and resubmit', () => {
  it('returns to the initiator, who edits and resubmits; a new round starts at the first step', async () => {
    const { instance } = await startInstance({
      ctx: ctxAs(database, org, 'liuyang'),
      input: {
        templateKey: 'expense',
        form: { category: 'travel', amount: 800_000, date: D(-3), description: '出差' },
      },
    })
    const t1 = await pendingTaskOf(database, org, instance.id, 'zhangwei')
    await returnTask({ ctx: ctxAs(database, org, 'zhangwei'), input: { taskId: t1.id, comment: '金额有误' } })
    expect((await instanceRow(database, instance.id)).status).toBe('returned')
    const err = await errorOf(
      approveTask({ ctx: ctxAs(database, org, 'zhangwei'), input: { taskId: t1.id } }),
    )
    expect(err.code).toBe('invalid_transition')
    const view = await resubmitInstance({
      ctx: ctxAs(database, org, 'liuyang'),
      input: {
        instanceId: instance.id,
        form: { category: 'travel', amount: 300_000, date: D(-3), description: '出差' },
      },
    })
    expect(view.instance.status).toBe('pending')
    expect(view.instance.round).toBe(2)
    expect(view.plan.map((s) => s.nodeId)).toEqual(['manager'])
    const t2 = await pendingTaskOf(database, org, instance.id, 'zhangwei')
    expect(t2.round).toBe(2)
    await approveTask({ ctx: ctxAs(database, org, 'zhangwei'), input: { taskId: t2.id } })
    expect((await instanceRow(database, instance.id)).status).toBe('approved')
    const actions = (await timelineOf(database, instance.id)).map((e) => e.action)
    expect(actions).toEqual(['submit', 'return', 'resubmit', 'approve', 'finish'])
  })

  it('returns to an earlier node, which decides again', async () => {
    await simpleTemplate('two', ['zhangwei'], 'any', undefined, 'two')
    // Two steps with the same approver (no dedupe): step a, then b; b returns to a.
    const { instance } = await start('liuyang', 'two')
    const a = await pendingTaskOf(database, org, instance.id, 'zhangwei')
    await approveTask({ ctx: ctxAs(database, org, 'zhangwei'), input: { taskId: a.id } })
    const b = await pendingTaskOf(database, org, instance.id, 'zhangwei')
    expect(b.nodeId).toBe('b')
    await returnTask({ ctx: ctxAs(database, org, 'zhangwei'), input: { taskId: b.id, toNodeId: 'a' } })
    const again = await pendingTaskOf(database, org, instance.id, 'zhangwei')
    expect(again.nodeId).toBe('a')
    expect(again.round).toBe(2)
    const bad = await errorOf(
      returnTask({ ctx: ctxAs(database, org, 'zhangwei'), input: { taskId: again.id, toNodeId: 'b' } }),
    )
    expect(bad.details.field).toBe('toNodeId')
  })
})

describe('transfer and add-sign', () => {
  it('transfers a task; the new approver decides, the old one can no longer', async () => {
    const { instance } = await start('liuyang', 'or3')
    const t = await pendingTaskOf(database, org, instance.id, 'zhangwei')
    const { newTaskId } = await transferTask({
      ctx: ctxAs(database, org, 'zhangwei'),
      input: { taskId: t.id, toUserId: uid(org, 'chenjing'), comment: '请陈静处理' },
    })
    const err = await errorOf(approveTask({ ctx: ctxAs(database, org, 'zhangwei'), input: { taskId: t.id } }))
    expect(err.code).toBe('invalid_transition')
    await approveTask({ ctx: ctxAs(database, org, 'chenjing'), input: { taskId: newTaskId } })
    expect((await instanceRow(database, instance.id)).status).toBe('approved')
  })

  it('refuses a transfer to someone who left, naming the field', async () => {
    const { instance } = await start('liuyang', 'or3')
    const t = await pendingTaskOf(database, org, instance.id, 'zhangwei')
    const { sql } = await import('drizzle-orm')
    await database.db.execute(sql`update users set status = 'inactive' where id = ${uid(org, 'luoxue')}`)
    const err = await errorOf(
      transferTask({
        ctx: ctxAs(database, org, 'zhangwei'),
        input: { taskId: t.id, toUserId: uid(org, 'luoxue') },
      }),
    )
    expect(err.code).toBe('invalid_input')
    expect(err.details.field).toBe('toUserId')
    expect(err.message).toContain('离职')
    expect((await pendingTaskOf(database, org, instance.id, 'zhangwei')).id).toBe(t.id)
  })

  it('adds a signer before: they decide first, then the task comes back', async () => {
    await simpleTemplate('single', ['zhangwei'], 'any')
    const { instance } = await start('liuyang', 'single')
    const t = await pendingTaskOf(database, org, instance.id, 'zhangwei')
    const { newTaskId } = await addSigner({
      ctx: ctxAs(database, org, 'zhangwei'),
      input: { taskId: t.id, userId: uid(org, 'liming'), position: 'before' },
    })
    const waiting = await errorOf(
      approveTask({ ctx: ctxAs(database, org, 'zhangwei'), input: { taskId: t.id } }),
    )
    expect(waiting.message).toContain('还没轮到')
    await approveTask({ ctx: ctxAs(database, org, 'liming'), input: { taskId: newTaskId } })
    expect((await instanceRow(database, instance.id)).status).toBe('pending')
    await approveTask({ ctx: ctxAs(database, org, 'zhangwei'), input: { taskId: t.id } })
    expect((await instanceRow(database, instance.id)).status).toBe('approved')
  })

  it('adds a signer after: the step waits for them even in 或签', async () => {
    const { instance } = await start('liuyang', 'single')
    const t = await pendingTaskOf(database, org, instance.id, 'zhangwei')
    const { newTaskId } = await addSigner({
      ctx: ctxAs(database, org, 'zhangwei'),
      input: { taskId: t.id, userId: uid(org, 'liming'), position: 'after' },
    })
    await approveTask({ ctx: ctxAs(database, org, 'zhangwei'), input: { taskId: t.id } })
    expect((await instanceRow(database, instance.id)).status).toBe('pending')
    await rejectTask({
      ctx: ctxAs(database, org, 'liming'),
      input: { taskId: newTaskId, comment: '预算不足' },
    })
    expect((await instanceRow(database, instance.id)).status).toBe('rejected')
  })
})

describe('withdraw', () => {
  it('lets the initiator withdraw while pending; approvers then see it was withdrawn', async () => {
    const { instance } = await start('liuyang', 'or3')
    const other = await errorOf(
      withdrawInstance({ ctx: ctxAs(database, org, 'chenjing'), input: { instanceId: instance.id } }),
    )
    expect(other.code).toBe('forbidden')
    const r = await tap(database, org, 'liuyang', { a: 'approval.withdraw', ins: instance.id })
    expect(r.toast?.kind).toBe('success')
    expect(r.card?.header.tags?.[0]?.text).toBe('已撤回')
    const t = (await tasksOf(database, instance.id))[0]
    if (!t) throw new Error('no task')
    expect(t.status).toBe('cancelled')
    const late = await tap(database, org, org.keyOf[t.assigneeId] ?? '', {
      a: 'approval.approve',
      task: t.id,
      v: t.version,
    })
    expect(late.toast?.text).toContain('撤回')
    expect(JSON.stringify(late.card)).toContain('申请人已撤回')
    const again = await errorOf(
      withdrawInstance({ ctx: ctxAs(database, org, 'liuyang'), input: { instanceId: instance.id } }),
    )
    expect(again.code).toBe('invalid_transition')
  })
})

describe('automatic rules', () => {
  it('去重: the same approver on consecutive steps passes the second automatically', async () => {
    await simpleTemplate(
      'dedupe2',
      ['zhangwei'],
      'any',
      { dedupe: 'consecutive', initiatorAutoPass: false, escalateAction: 'to_manager' },
      'two',
    )
    const { instance } = await start('liuyang', 'dedupe2')
    const a = await pendingTaskOf(database, org, instance.id, 'zhangwei')
    await approveTask({ ctx: ctxAs(database, org, 'zhangwei'), input: { taskId: a.id } })
    const ins = await instanceRow(database, instance.id)
    expect(ins.status).toBe('approved')
    const tasks = await tasksOf(database, instance.id)
    expect(tasks.map((t) => [t.nodeId, t.status, t.auto])).toEqual([
      ['a', 'approved', null],
      ['b', 'approved', 'dedupe'],
    ])
  })

  it('leave: a sales director whose manager step and head step resolve to the same person passes once', async () => {
    // zhangwei's manager is liming; the head of the department above 华东销售组 is liming too.
    const view = await startInstance({
      ctx: ctxAs(database, org, 'zhangwei'),
      input: {
        templateKey: 'leave',
        form: { kind: 'personal', dates: { start: D(30), end: D(39) }, reason: '家事' },
      },
    })
    const t = await pendingTaskOf(database, org, view.instance.id, 'liming')
    await approveTask({ ctx: ctxAs(database, org, 'liming'), input: { taskId: t.id } })
    const tasks = await tasksOf(database, view.instance.id)
    expect(tasks.filter((x) => x.kind === 'approve').map((x) => x.auto)).toEqual([null, 'dedupe'])
    expect((await instanceRow(database, view.instance.id)).status).toBe('approved')
  })

  it('initiator auto-pass: an approver who is the initiator passes automatically', async () => {
    await simpleTemplate('selfpass', ['liuyang', 'zhangwei'], 'sequential', {
      dedupe: 'none',
      initiatorAutoPass: true,
      escalateAction: 'to_manager',
    })
    const { instance } = await start('liuyang', 'selfpass')
    const tasks = await tasksOf(database, instance.id)
    expect(tasks.map((t) => [org.keyOf[t.assigneeId], t.status, t.auto])).toEqual([
      ['liuyang', 'approved', 'initiator'],
      ['zhangwei', 'pending', null],
    ])
  })
})

describe('result announcement', () => {
  it('announces the result to the initiator and to the configured group chat', async () => {
    await simpleTemplate('announced', ['zhangwei'], 'any', {
      dedupe: 'none',
      initiatorAutoPass: false,
      escalateAction: 'to_manager',
      resultChatId: 'grp:sales',
    })
    const { instance } = await start('liuyang', 'announced')
    const t = await pendingTaskOf(database, org, instance.id, 'zhangwei')
    await rejectTask({
      ctx: ctxAs(database, org, 'zhangwei'),
      input: { taskId: t.id, comment: '不符合规定' },
    })
    const { outboxOf } = await import('./approvals-harness')
    const rows = (await outboxOf(database, org.tenantId)).filter((r) =>
      JSON.stringify(r.payload).includes(instance.id),
    )
    const toChat = rows.filter((r) => (r.payload as { to?: { chatId?: string } }).to?.chatId === 'grp:sales')
    expect(toChat).toHaveLength(1)
    expect(JSON.stringify(await cardOfPayload(database, toChat[0]?.payload))).toContain('已拒绝')
    const finished = rows.filter((r) => r.topic === 'approval.finished')
    expect(finished.map((r) => (r.payload as { status: string }).status)).toEqual(['rejected'])
  })
})
