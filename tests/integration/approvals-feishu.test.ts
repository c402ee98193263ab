import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTemplate } from '../../bot/domain/approvals/create-template'
import type { ServiceContext } from '../../bot/domain/context'
import { systemClock } from '../../bot/lib/clock'
import type { Database } from '../../db/client'
import { approvalInstances, approvalTasks, userIdentities } from '../../db/schema'
import { leaveTemplate } from '../../db/seed/approvals'
import { type createPushBuilder, type FakeFeishu, type FeishuPush, toRequestInit } from '../fakes/feishu'
import { dayFromNow as D } from '../helpers/dates'
import { type FeishuStack, type FeishuWorld, startFeishuWorld } from '../helpers/feishu'
import { waitFor } from '../helpers/wait'

/** The key flows again, end to end through signed Feishu callbacks and the fake Open API. */
let fake: FakeFeishu
let own: { database: Database; drop: () => Promise<void> }
let stack: FeishuStack
let world: FeishuWorld
let push: ReturnType<typeof createPushBuilder>
const silent = { debug() {}, info() {}, warn() {}, error() {} }

beforeAll(async () => {
  world = await startFeishuWorld()
  ;({ fake, own, stack, push } = world)
  const sys: ServiceContext = {
    tenantId: stack.tenantId,
    actor: { kind: 'system', reason: 'test' },
    db: own.database.db,
    clock: systemClock,
    logger: silent,
  }
  await createTemplate({ ctx: sys, input: leaveTemplate() })
  await createTemplate({
    ctx: sys,
    input: {
      key: 'or3',
      name: '或签测试',
      form: [{ key: 'note', label: '说明', type: 'text', required: true }],
      flow: {
        nodes: [
          { id: 'start', type: 'start', next: 'a' },
          {
            id: 'a',
            type: 'approval',
            name: '或签',
            mode: 'any',
            approvers: {
              kind: 'users',
              userIds: await Promise.all(['zhouba', 'sunqi', 'wujiu'].map(userIdOf)),
            },
            next: 'end',
          },
          { id: 'end', type: 'end' },
        ],
      },
    },
  })
})

afterAll(async () => {
  await world?.close()
})

async function userIdOf(handle: string): Promise<string> {
  const [row] = await own.database.db
    .select({ userId: userIdentities.userId })
    .from(userIdentities)
    .where(
      and(eq(userIdentities.tenantId, stack.tenantId), eq(userIdentities.openId, fake.user(handle).openId)),
    )
  if (!row) throw new Error(`${handle} not synced`)
  return row.userId
}

async function post(path: string, p: FeishuPush) {
  const res = await stack.app.request(path, toRequestInit(p))
  return {
    status: res.status,
    body: (await res.json()) as { toast?: { type: string; content: string }; card?: { data: unknown } },
  }
}

let seq = 0
const tapAs = async (handle: string, value: Record<string, unknown>, formValue?: Record<string, unknown>) => {
  const u = fake.user(handle)
  const p = await push.cardAction({
    operator: { openId: u.openId },
    value,
    ...(formValue ? { formValue } : {}),
    messageId: `om_approval_${++seq}`,
    chatId: fake.controls.p2pChatId(u.openId),
  })
  return post('/webhooks/feishu/cards', p)
}

const pendingTask = async (instanceId: string, handle: string) => {
  const [t] = await own.database.db
    .select()
    .from(approvalTasks)
    .where(
      and(
        eq(approvalTasks.instanceId, instanceId),
        eq(approvalTasks.assigneeId, await userIdOf(handle)),
        eq(approvalTasks.status, 'pending'),
      ),
    )
  if (!t) throw new Error(`${handle} has no pending task`)
  return t
}

describe('approvals over Feishu', () => {
  it('routes a 5-day leave through the condition to the department head, updating the progress card', async () => {
    const hemei = fake.user('hemei')
    const said = fake.controls.addUserMessage({ senderUserId: 'hemei', text: '发起 请假' })
    const p = await push.messageReceive({
      message: { messageId: said.messageId, chatId: said.chatId, chatType: 'p2p' },
      text: '发起 请假',
      sender: { openId: hemei.openId },
    })
    expect((await post('/webhooks/feishu/events', p)).status).toBe(200)
    // The answer is a reply in the p2p chat, carrying the form with its submit callback.
    const chat = fake.controls.p2pChatId(hemei.openId)
    await waitFor(
      () =>
        fake.recorder.sentMessages().some((m) => m.chatId === chat && m.content.includes('approval.submit')),
      'form card',
      8000,
    )
    const submitted = await tapAs(
      'hemei',
      { a: 'approval.submit', tpl: 'leave', tv: 1 },
      { kind: 'annual', dates__start: D(30), dates__end: D(34), reason: '回家探亲' },
    )
    expect(submitted.body.toast?.type).toBe('success')
    expect(JSON.stringify(submitted.body.card)).toContain('已提交')
    const [ins] = await own.database.db
      .select()
      .from(approvalInstances)
      .where(eq(approvalInstances.tenantId, stack.tenantId))
    if (!ins) throw new Error('no instance')
    const zhouba = fake.user('zhouba')
    await waitFor(
      () => fake.recorder.messagesTo(zhouba.openId).some((m) => m.content.includes('approval.approve')),
      'approver card',
      8000,
    )
    // The progress card must be out before it can be updated (see the report: an update that overtakes the
    // first send of its card is lost).
    await waitFor(
      () => fake.recorder.messagesTo(hemei.openId).some((m) => m.content.includes('我的请假申请')),
      'progress card sent',
      15_000,
    )
    const t1 = await pendingTask(ins.id, 'zhouba')
    const r1 = await tapAs(
      'zhouba',
      { a: 'approval.approve', task: t1.id, v: t1.version },
      { comment: '同意' },
    )
    expect(r1.body.toast?.type).toBe('success')
    expect(JSON.stringify(r1.body.card)).toContain('已同意')
    // Over 3 days: the head of the department above 华东销售 (销售部, 孙七).
    const t2 = await pendingTask(ins.id, 'sunqi')
    const r2 = await tapAs('sunqi', { a: 'approval.approve', task: t2.id, v: t2.version })
    expect(r2.body.toast?.type).toBe('success')
    await stack.settle()
    await waitFor(
      () => fake.recorder.messagesTo(hemei.openId).some((m) => m.updated && m.content.includes('已通过')),
      'progress card updated to approved',
      15_000,
    )
  })

  it('resolves a 或签 race of signed callbacks to one transition; the others see who handled it', async () => {
    const { startInstance } = await import('../../bot/domain/approvals/start-instance')
    const view = await startInstance({
      ctx: {
        tenantId: stack.tenantId,
        actor: { kind: 'user', userId: await userIdOf('hemei'), via: 'feishu' },
        db: own.database.db,
        clock: systemClock,
        logger: silent,
      },
      input: { templateKey: 'or3', form: { note: '采购显示器' } },
    })
    const handles = ['zhouba', 'sunqi', 'wujiu']
    const ids = await Promise.all(handles.map(userIdOf))
    const results = await Promise.all(
      view.tasks.flatMap((t) => {
        const handle = handles[ids.indexOf(t.assigneeId)] ?? ''
        return [1, 2].map(() => tapAs(handle, { a: 'approval.approve', task: t.id, v: t.version }))
      }),
    )
    expect(results.every((r) => r.status === 200 && r.body.card)).toBe(true)
    expect(results.filter((r) => r.body.toast?.type === 'success')).toHaveLength(1)
    const losers = results.filter((r) => r.body.toast?.type !== 'success')
    expect(losers.every((r) => (r.body.toast?.content ?? '').includes('已被'))).toBe(true)
    const [row] = await own.database.db
      .select()
      .from(approvalInstances)
      .where(eq(approvalInstances.id, view.instance.id))
    expect(row?.status).toBe('approved')
    expect(row?.version).toBe(2)
  })

  const startAs = async (handle: string, templateKey: string, form: Record<string, unknown>) => {
    const { startInstance } = await import('../../bot/domain/approvals/start-instance')
    return startInstance({
      ctx: {
        tenantId: stack.tenantId,
        actor: { kind: 'user', userId: await userIdOf(handle), via: 'feishu' },
        db: own.database.db,
        clock: systemClock,
        logger: silent,
      },
      input: { templateKey, form },
    })
  }
  const leaveForm = (end: string) => ({ kind: 'sick', dates: { start: D(30), end }, reason: '看病' })
  const statusOf = async (id: string) =>
    (await own.database.db.select().from(approvalInstances).where(eq(approvalInstances.id, id)))[0]

  it('returns from the card, and the initiator resubmits from the progress card', async () => {
    const { instance } = await startAs('hemei', 'leave', leaveForm(D(30)))
    const t = await pendingTask(instance.id, 'zhouba')
    const r = await tapAs(
      'zhouba',
      { a: 'approval.return', task: t.id, v: t.version },
      { comment: '请补充病假条' },
    )
    expect(r.body.toast?.type).toBe('success')
    expect(JSON.stringify(r.body.card)).toContain('已退回')
    expect((await statusOf(instance.id))?.status).toBe('returned')
    const again = await tapAs('hemei', { a: 'approval.resubmit', ins: instance.id })
    expect(again.body.toast?.type).toBe('success')
    const t2 = await pendingTask(instance.id, 'zhouba')
    expect(t2.round).toBe(2)
  })

  it('transfers and adds a signer through the chat actions (cards sent before the picker moved to the detail page)', async () => {
    const { instance } = await startAs('hemei', 'leave', leaveForm(D(30)))
    const t = await pendingTask(instance.id, 'zhouba')
    const moved = await tapAs(
      'zhouba',
      { a: 'approval.transfer', task: t.id, v: t.version },
      { target: fake.user('wujiu').openId },
    )
    expect(moved.body.toast?.type).toBe('success')
    expect(JSON.stringify(moved.body.card)).toContain('已转交给')
    const t2 = await pendingTask(instance.id, 'wujiu')
    const before = await tapAs(
      'wujiu',
      { a: 'approval.addsign', task: t2.id, v: t2.version, pos: 'before' },
      { target: fake.user('gaojie').openId },
    )
    expect(before.body.toast?.type).toBe('success')
    const t3 = await pendingTask(instance.id, 'gaojie')
    expect(
      (await tapAs('gaojie', { a: 'approval.approve', task: t3.id, v: t3.version })).body.toast?.type,
    ).toBe('success')
    const back = await pendingTask(instance.id, 'wujiu')
    expect(
      (await tapAs('wujiu', { a: 'approval.approve', task: back.id, v: back.version })).body.toast?.type,
    ).toBe('success')
    expect((await statusOf(instance.id))?.status).toBe('approved')
  })

  it('withdraws from the progress card; the approver’s late tap sees it', async () => {
    const { instance } = await startAs('hemei', 'leave', leaveForm(D(30)))
    const t = await pendingTask(instance.id, 'zhouba')
    const w = await tapAs('hemei', { a: 'approval.withdraw', ins: instance.id })
    expect(w.body.toast?.type).toBe('success')
    const late = await tapAs('zhouba', { a: 'approval.approve', task: t.id, v: t.version })
    expect(late.body.toast?.content).toContain('撤回')
  })

  it('passes a repeated approver automatically (去重): the manager is also the head above', async () => {
    // 周八 (华东销售 head) asks for 5 days: manager 孙七, and the head of 销售部 is 孙七 too.
    const { instance } = await startAs('zhouba', 'leave', leaveForm(D(34)))
    const t = await pendingTask(instance.id, 'sunqi')
    expect((await tapAs('sunqi', { a: 'approval.approve', task: t.id, v: t.version })).body.toast?.type).toBe(
      'success',
    )
    const tasks = await own.database.db
      .select()
      .from(approvalTasks)
      .where(eq(approvalTasks.instanceId, instance.id))
    expect(
      tasks
        .filter((x) => x.kind === 'approve')
        .map((x) => x.auto)
        .sort(),
    ).toEqual(['dedupe', null])
    expect((await statusOf(instance.id))?.status).toBe('approved')
  })

  it('reminds and escalates after simulated hours through the scheduler', async () => {
    await stack.settle()
    const { instance } = await startAs('hemei', 'leave', leaveForm(D(30)))
    await stack.settle()
    const zhouba = fake.user('zhouba')
    const before = fake.recorder.messagesTo(zhouba.openId).length
    await stack.relay.relayAll(new Date(Date.now() + 5 * 3600_000))
    await stack.settle()
    await waitFor(
      () => fake.recorder.messagesTo(zhouba.openId).length >= before + 2,
      'reminder text and card',
      8000,
    )
    await stack.relay.relayAll(new Date(Date.now() + 25 * 3600_000))
    await stack.settle()
    // Escalation hands the task to 周八's manager, 孙七.
    const moved = await waitFor(
      () => pendingTask(instance.id, 'sunqi').catch(() => null),
      'the task escalated to 孙七',
      15_000,
    )
    expect(moved.origin).toBe('transfer')
  })
})
