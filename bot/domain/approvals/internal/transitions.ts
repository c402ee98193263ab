import { and, eq, inArray, type SQL, sql } from 'drizzle-orm'
import { approvalInstances, approvalTasks } from '../../../../db/schema'
import { bound, reusable } from '../../../../db/statement'
import { newId } from '../../../lib/ids'
import { actorId, type ServiceContext } from '../../context'
import { ConflictError, InvalidTransitionError } from '../../errors'
import { type AutoReason, afterApprove, initialTasks } from '../engine/advance'
import type { PlanStep, TemplateSettings } from '../schemas'
import { type InstanceRow, loadTask, loadUsers, planOf, type TaskRow } from '../store'
import { appendTimeline } from './timeline'

/** What one action changed, so the cards and jobs that follow are emitted once, after the state is final. */
export interface Changes {
  newPending: Set<string>
  touched: Set<string>
  newCc: Set<string>
  started: boolean
  finished: boolean
  announce: boolean
  /** Re-send these pending tasks' cards (催办, reminders). */
  resend: Set<string>
}

export const newChanges = (): Changes => ({
  newPending: new Set(),
  touched: new Set(),
  newCc: new Set(),
  started: false,
  finished: false,
  announce: false,
  resend: new Set(),
})

/** The fields of an instance an action may change; written once with a compare-and-set on `version`. */
export type InstancePatch = Partial<
  Pick<
    InstanceRow,
    | 'status'
    | 'stepIndex'
    | 'round'
    | 'plan'
    | 'form'
    | 'title'
    | 'finishedAt'
    | 'lastUrgedAt'
    | 'chosenApprovers'
  >
>

export interface Working {
  ins: InstanceRow
  patch: InstancePatch
  settings: TemplateSettings
  /** Tasks of the current round as they are inside this transaction. */
  tasks: TaskRow[]
}

const _stepOf = (w: Working): number => w.patch.stepIndex ?? w.ins.stepIndex
const roundOf = (w: Working): number => w.patch.round ?? w.ins.round
const planNow = (w: Working): PlanStep[] => (w.patch.plan as PlanStep[] | undefined) ?? planOf(w.ins)

const patchColumns = {
  status: approvalInstances.status,
  stepIndex: approvalInstances.stepIndex,
  round: approvalInstances.round,
  plan: approvalInstances.plan,
  form: approvalInstances.form,
  title: approvalInstances.title,
  finishedAt: approvalInstances.finishedAt,
  lastUrgedAt: approvalInstances.lastUrgedAt,
  chosenApprovers: approvalInstances.chosenApprovers,
} as const satisfies Record<keyof InstancePatch, unknown>

/** The shape names the patched fields, `!` after a field set to null: `status,finishedAt!`. */
const updateInstance = reusable((db, shape) => {
  const set: Record<string, SQL> = {}
  for (const part of shape ? shape.split(',') : []) {
    const key = part.replace('!', '') as keyof InstancePatch
    set[key] = part.endsWith('!') ? sql`null` : bound(key, patchColumns[key])
  }
  return db
    .update(approvalInstances)
    .set({
      ...set,
      version: sql`${approvalInstances.version} + 1`,
      updatedAt: bound('updatedAt', approvalInstances.updatedAt),
    })
    .where(
      and(
        eq(approvalInstances.tenantId, sql.placeholder('tenantId')),
        eq(approvalInstances.id, sql.placeholder('id')),
        eq(approvalInstances.version, sql.placeholder('version')),
      ),
    )
    .returning()
})

/** Writes the patch and bumps the instance version (the instance row is locked by the caller). */
export async function commitInstance(ctx: ServiceContext, w: Working): Promise<InstanceRow> {
  const values: Record<string, unknown> = {
    tenantId: ctx.tenantId,
    id: w.ins.id,
    version: w.ins.version,
    updatedAt: ctx.clock.now(),
  }
  const shape: string[] = []
  for (const key of Object.keys(patchColumns) as Array<keyof InstancePatch>) {
    const v = w.patch[key]
    if (v === undefined) continue
    if (v === null) shape.push(`${key}!`)
    else {
      shape.push(key)
      values[key] = v
    }
  }
  const [row] = await updateInstance(ctx.db, values, shape.join(','))
  if (!row) throw new ConflictError('approval changed meanwhile, retry', { instanceId: w.ins.id })
  return row
}

/** Explains why a task can no longer be acted on: who handled it, or what happened to the request. */
export async function handledMessage(ctx: ServiceContext, task: TaskRow): Promise<string> {
  const users = await loadUsers(ctx, [task.decidedBy ?? '', task.assigneeId])
  const by = users.get(task.decidedBy ?? '')?.name ?? '—'
  switch (task.status) {
    case 'approved':
      return task.auto
        ? '已自动通过 / already passed automatically'
        : `已被 ${by} 同意 / already approved by ${by}`
    case 'rejected':
      return `已被 ${by} 拒绝 / already rejected by ${by}`
    case 'returned':
      return `已被 ${by} 退回 / already returned by ${by}`
    case 'transferred':
      return `已由 ${by} 转交他人 / already transferred by ${by}`
    case 'cancelled':
      return `已被 ${by} 处理 / already handled by ${by}`
    case 'waiting':
      return '还没轮到你审批 / not your turn yet'
    default:
      return '卡片已过期，请刷新 / the card is out of date, refresh it'
  }
}

/**
 * The shape says which parts the compare-and-set has: `v` checks the version the card showed, `a` sets the
 * automatic reason, `c` and `d` a comment and a decider (left out: set to null).
 */
const casTaskStatement = reusable((db, shape) =>
  db
    .update(approvalTasks)
    .set({
      status: bound('status', approvalTasks.status),
      version: sql`${approvalTasks.version} + 1`,
      decidedBy: shape.includes('d') ? bound('decidedBy', approvalTasks.decidedBy) : sql`null`,
      decidedAt: bound('decidedAt', approvalTasks.decidedAt),
      comment: shape.includes('c') ? bound('comment', approvalTasks.comment) : sql`null`,
      ...(shape.includes('a') ? { auto: bound('auto', approvalTasks.auto) } : {}),
    })
    .where(
      and(
        eq(approvalTasks.tenantId, sql.placeholder('tenantId')),
        eq(approvalTasks.id, sql.placeholder('id')),
        eq(approvalTasks.status, sql.placeholder('from')),
        ...(shape.includes('v') ? [eq(approvalTasks.version, sql.placeholder('version'))] : []),
      ),
    )
    .returning(),
)

/**
 * The compare-and-set at the heart of every decision: the task moves out of `pending` only if it is still
 * pending (and at the version the card showed). Zero rows means someone else won: the error says who.
 */
export async function casTask(
  ctx: ServiceContext,
  task: TaskRow,
  to: {
    status: TaskRow['status']
    comment?: string | null
    auto?: TaskRow['auto']
    decidedBy?: string | null
  },
  expectVersion?: number,
): Promise<TaskRow> {
  const decidedBy = to.decidedBy !== undefined ? to.decidedBy : actorId(ctx.actor)
  const comment = to.comment ?? null
  const shape = `${expectVersion !== undefined ? 'v' : ''}${to.auto ? 'a' : ''}${comment !== null ? 'c' : ''}${decidedBy !== null ? 'd' : ''}`
  const [row] = await casTaskStatement(
    ctx.db,
    {
      tenantId: ctx.tenantId,
      id: task.id,
      from: 'pending',
      status: to.status,
      decidedAt: ctx.clock.now(),
      ...(decidedBy !== null ? { decidedBy } : {}),
      ...(comment !== null ? { comment } : {}),
      ...(to.auto ? { auto: to.auto } : {}),
      ...(expectVersion !== undefined ? { version: expectVersion } : {}),
    },
    shape,
  )
  if (!row) {
    const now = await loadTask(ctx, task.id)
    throw new InvalidTransitionError(await handledMessage(ctx, now), {
      taskId: task.id,
      status: now.status,
      handledBy: now.decidedBy,
    })
  }
  return row
}

async function setTasks(
  ctx: ServiceContext,
  w: Working,
  ids: string[],
  from: TaskRow['status'][],
  set: { status: TaskRow['status']; decidedBy?: string | null; activate?: boolean },
): Promise<TaskRow[]> {
  if (ids.length === 0) return []
  const now = ctx.clock.now()
  const rows = await ctx.db
    .update(approvalTasks)
    .set({
      status: set.status,
      version: sql`${approvalTasks.version} + 1`,
      ...(set.activate
        ? { activatedAt: now }
        : { decidedAt: now, decidedBy: set.decidedBy ?? actorId(ctx.actor) }),
    })
    .where(
      and(
        eq(approvalTasks.tenantId, ctx.tenantId),
        inArray(approvalTasks.id, ids),
        inArray(approvalTasks.status, from),
      ),
    )
    .returning()
  replaceTasks(w, rows)
  return rows
}

/** Closes every open task of the current round (withdraw, cancel, reject, return). */
export async function setOpenTasks(ctx: ServiceContext, w: Working, status: 'cancelled'): Promise<TaskRow[]> {
  const open = w.tasks.filter((t) => t.status === 'pending' || t.status === 'waiting').map((t) => t.id)
  return setTasks(ctx, w, open, ['pending', 'waiting'], { status })
}

export function replaceTasks(w: Working, rows: TaskRow[]): void {
  for (const r of rows) {
    const i = w.tasks.findIndex((t) => t.id === r.id)
    if (i >= 0) w.tasks[i] = r
    else w.tasks.push(r)
  }
}

/** Who passes a step without a tap: the initiator (when the template says so) and 去重 repeats. */
function autoPassFor(w: Working, stepIndex: number): (userId: string) => AutoReason | null {
  const plan = planNow(w)
  const approved = (i: number) =>
    new Set(w.tasks.filter((t) => t.stepIndex === i && t.status === 'approved').map((t) => t.assigneeId))
  let earlier = new Set<string>()
  if (w.settings.dedupe === 'any_previous') {
    for (let i = 0; i < stepIndex; i++) for (const id of approved(i)) earlier.add(id)
  } else if (w.settings.dedupe === 'consecutive') {
    for (let i = stepIndex - 1; i >= 0; i--) {
      const s = plan[i]
      if (!s || s.type === 'cc' || s.skipped) continue
      earlier = approved(i)
      break
    }
  }
  return (userId) =>
    w.settings.initiatorAutoPass && userId === w.ins.initiatorId
      ? 'initiator'
      : earlier.has(userId)
        ? 'dedupe'
        : null
}

/**
 * Starts steps from `from` on: CC steps notify and pass, skipped steps pass, approval steps create their
 * tasks (auto-passing repeats and the initiator as configured). Stops at the first step that needs a
 * person; past the last step the request is approved.
 */
export async function activateFrom(
  ctx: ServiceContext,
  w: Working,
  from: number,
  ch: Changes,
): Promise<void> {
  const plan = planNow(w)
  const round = roundOf(w)
  const now = ctx.clock.now()
  for (let i = from; i < plan.length; i++) {
    const step = plan[i] as PlanStep
    const { tasks, passed } = initialTasks(step, autoPassFor(w, i))
    if (tasks.length > 0) {
      const rows = await ctx.db
        .insert(approvalTasks)
        .values(
          tasks.map((t) => ({
            id: newId('tsk'),
            tenantId: ctx.tenantId,
            instanceId: w.ins.id,
            stepIndex: i,
            nodeId: step.nodeId,
            round,
            kind: step.type === 'cc' ? ('cc' as const) : ('approve' as const),
            seq: t.seq,
            assigneeId: t.assigneeId,
            status: t.status,
            auto: t.auto ?? null,
            decidedAt: t.status === 'approved' ? now : null,
            activatedAt: t.status === 'pending' || t.status === 'cc' ? now : null,
          })),
        )
        .returning()
      replaceTasks(w, rows)
      for (const r of rows) {
        if (r.status === 'pending') ch.newPending.add(r.id)
        if (r.status === 'cc') ch.newCc.add(r.id)
        if (r.auto) {
          await appendTimeline(ctx, {
            instanceId: w.ins.id,
            taskId: r.id,
            action: 'auto_approve',
            actorId: r.assigneeId,
            after: { status: 'approved', auto: r.auto, step: step.name },
          })
        }
      }
      if (step.type === 'cc') {
        await appendTimeline(ctx, {
          instanceId: w.ins.id,
          action: 'cc',
          actorId: null,
          after: { step: step.name, to: step.approverIds },
        })
      }
    } else if (step.skipped) {
      await appendTimeline(ctx, {
        instanceId: w.ins.id,
        action: 'skip',
        actorId: null,
        after: { step: step.name },
      })
    }
    if (!passed) {
      w.patch.stepIndex = i
      return
    }
  }
  w.patch.stepIndex = plan.length
  await finish(ctx, w, 'approved', ch)
}

/** Ends the request: closes every open task, records the end, announces the result, fires the hook. */
export async function finish(
  ctx: ServiceContext,
  w: Working,
  status: 'approved' | 'rejected' | 'withdrawn' | 'cancelled',
  ch: Changes,
): Promise<void> {
  for (const t of await setOpenTasks(ctx, w, 'cancelled')) ch.touched.add(t.id)
  w.patch.status = status
  w.patch.finishedAt = ctx.clock.now()
  ch.finished = true
  ch.announce = status === 'approved' || status === 'rejected'
  await appendTimeline(ctx, { instanceId: w.ins.id, action: 'finish', actorId: null, after: { status } })
}

/** After a task was approved: the step's next move (add-signs, 会签, 依次, 或签), then the next steps. */
export async function afterApproval(
  ctx: ServiceContext,
  w: Working,
  approved: TaskRow,
  ch: Changes,
): Promise<void> {
  replaceTasks(w, [approved])
  const step = planNow(w)[approved.stepIndex]
  if (!step) return
  const stepTasks = w.tasks.filter((t) => t.stepIndex === approved.stepIndex && t.round === approved.round)
  const next = afterApprove(step.mode, stepTasks, approved.id)
  const cancelled = await setTasks(ctx, w, next.cancel, ['pending', 'waiting'], { status: 'cancelled' })
  for (const t of cancelled) ch.touched.add(t.id)
  if (next.activate.length > 0) {
    const auto = autoPassFor(w, approved.stepIndex)
    const activated = await setTasks(ctx, w, next.activate, ['waiting'], {
      status: 'pending',
      activate: true,
    })
    for (const t of activated) {
      ch.touched.add(t.id)
      const reason = t.origin === 'flow' ? auto(t.assigneeId) : null
      if (reason) {
        const passed = await casTask(ctx, t, { status: 'approved', auto: reason, decidedBy: t.assigneeId })
        await appendTimeline(ctx, {
          instanceId: w.ins.id,
          taskId: t.id,
          action: 'auto_approve',
          actorId: t.assigneeId,
          after: { status: 'approved', auto: reason, step: step.name },
        })
        await afterApproval(ctx, w, passed, ch)
        return
      }
      ch.newPending.add(t.id)
    }
  }
  if (next.passed) await activateFrom(ctx, w, approved.stepIndex + 1, ch)
}
