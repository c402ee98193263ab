import {
  approvalStartCard,
  approvalSubmittedCard,
  approvalTodoCard,
  chatFormToValues,
} from '../cards/approval-form-card'
import { approvalProgressCard } from '../cards/approval-progress-card'
import { approvalTaskCard } from '../cards/approval-task-card'
import { t } from '../cards/i18n'
import type { CardActionHandler, CardActionInput, CardActionResult } from '../chat/model'
import {
  addSigner,
  approveTask,
  listInstances,
  loadTask,
  loadTemplateVersion,
  loadView,
  previewFlow,
  rejectTask,
  resubmitInstance,
  returnTask,
  startInstance,
  type TemplateVersion,
  transferTask,
  urgeInstance,
  viewTitle,
  withdrawInstance,
} from '../domain/approvals'
import type { ServiceContext } from '../domain/context'
import { DomainError, InvalidInputError } from '../domain/errors'
import type { Locale } from '../domain/locale'
import { resolveUserId } from '../domain/org'

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '')

/** The tapper's to-do list as a card (the query here, the layout in the presenter). */
async function todoCard(ctx: ServiceContext, locale: Locale, timeZone: string) {
  const list = await listInstances({ ctx, input: { box: 'todo', pageSize: 10 } })
  return approvalTodoCard(list.items, list.total, locale, timeZone)
}

/**
 * 拒绝 and 退回 from chat need the reason typed into the card's 审批意见 first: nothing happens, the card
 * stays as it is, and the approver is told what is missing.
 */
function reasonFirst(locale: Locale, zh: string, en: string): CardActionResult {
  return {
    toast: {
      kind: 'warning',
      text: t(locale, `请先在「审批意见」中填写${zh}理由`, `Enter a reason in Comment first, then ${en}`),
    },
  }
}

/** 同意 / 拒绝 from a task card (or the todo list). The loser of a race gets the card as it now is. */
function decide(kind: 'approve' | 'reject'): CardActionHandler {
  return async ({ ctx, locale, timeZone, payload, formValues }): Promise<CardActionResult> => {
    const taskId = str(payload.task)
    if (!taskId) throw new InvalidInputError('task', 'missing task')
    const comment = str(formValues.comment).trim() || undefined
    const version = typeof payload.v === 'number' ? payload.v : undefined
    const fromTodo = payload.from === 'todo'
    if (kind === 'reject' && !comment) return reasonFirst(locale, '拒绝', 'reject')
    const input = { taskId, ...(comment ? { comment } : {}), ...(version !== undefined ? { version } : {}) }
    try {
      // A refused decision (lost race, second tap) throws before any write, so answering it is safe.
      const { view } =
        kind === 'approve' ? await approveTask({ ctx, input }) : await rejectTask({ ctx, input })
      const toast = {
        kind: 'success' as const,
        text: kind === 'approve' ? t(locale, '已同意', 'Approved') : t(locale, '已拒绝', 'Rejected'),
      }
      return {
        toast,
        card: fromTodo
          ? await todoCard(ctx, locale, timeZone)
          : approvalTaskCard(view, taskId, locale, timeZone),
      }
    } catch (err) {
      if (!(err instanceof DomainError) || err.code !== 'invalid_transition') throw err
      const task = await loadTask(ctx, taskId)
      const view = await loadView(ctx, task.instanceId)
      return {
        toast: { kind: 'warning', text: err.message },
        card: fromTodo
          ? await todoCard(ctx, locale, timeZone)
          : approvalTaskCard(view, taskId, locale, timeZone),
      }
    }
  }
}

/** The chat form's values as the engine takes them (platform person ids turned into user ids). */
async function chatForm(
  ctx: CardActionInput['ctx'],
  tv: TemplateVersion,
  formValues: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const ids = new Map<string, string>()
  for (const f of tv.form) {
    if (f.type !== 'user') continue
    const raw = formValues[f.key]
    const v = Array.isArray(raw) ? str(raw[0]) : str(raw)
    if (v) ids.set(v, await resolveUserId({ ctx, input: { platformId: v } }))
  }
  return chatFormToValues(tv.form, formValues, (id) => ids.get(id) ?? id)
}

/** The form card with who will approve for what is typed so far (nothing typed: the default path). */
export async function startCard(
  ctx: CardActionInput['ctx'],
  locale: CardActionInput['locale'],
  key: string,
  formValues: Record<string, unknown> = {},
) {
  const tv = await loadTemplateVersion(ctx, { key })
  const form = await chatForm(ctx, tv, formValues)
  const flow = await previewFlow({ ctx, input: { templateKey: key, form } })
  return approvalStartCard(tv, locale, flow, formValues)
}

async function submit({ ctx, locale, payload, formValues }: CardActionInput): Promise<CardActionResult> {
  const key = str(payload.tpl)
  const tv = await loadTemplateVersion(ctx, { key })
  const form = await chatForm(ctx, tv, formValues)
  const view = await startInstance({ ctx, input: { templateKey: key, form } })
  return {
    toast: { kind: 'success', text: t(locale, '已提交', 'Submitted') },
    card: approvalSubmittedCard(viewTitle(view, locale), view.instance.serialNo, view.instance.id, locale),
  }
}

/** The person picked in the card's `target` input, as a user id of the tenant. */
async function targetOf(input: CardActionInput): Promise<string> {
  const raw = input.formValues.target
  const v = Array.isArray(raw) ? str(raw[0]) : str(raw)
  if (!v) throw new InvalidInputError('target', '请先选择转交或加签的人 / pick someone first')
  return resolveUserId({ ctx: input.ctx, input: { platformId: v } })
}

/** 退回 / 转交 / 加签 from the approver's card: the tapper's card shows the outcome at once. */
function taskMove(kind: 'return' | 'transfer' | 'addsign'): CardActionHandler {
  return async (input): Promise<CardActionResult> => {
    const { ctx, locale, timeZone, payload, formValues } = input
    const taskId = str(payload.task)
    const comment = str(formValues.comment).trim() || undefined
    if (kind === 'return' && !comment) return reasonFirst(locale, '退回', 'return')
    const base = {
      taskId,
      ...(comment ? { comment } : {}),
      ...(typeof payload.v === 'number' ? { version: payload.v } : {}),
    }
    const { view } =
      kind === 'return'
        ? await returnTask({ ctx, input: base })
        : kind === 'transfer'
          ? await transferTask({ ctx, input: { ...base, toUserId: await targetOf(input) } })
          : await addSigner({
              ctx,
              input: {
                ...base,
                userId: await targetOf(input),
                position: payload.pos === 'before' ? 'before' : 'after',
              },
            })
    const text = {
      return: t(locale, '已退回', 'Returned'),
      transfer: t(locale, '已转交', 'Transferred'),
      addsign: t(locale, '已加签', 'Signer added'),
    }[kind]
    return { toast: { kind: 'success', text }, card: approvalTaskCard(view, taskId, locale, timeZone) }
  }
}

/** Every approval card action, spread into `cardActions`. */
export const approvalActions: Record<string, CardActionHandler> = {
  'approval.approve': decide('approve'),
  'approval.reject': decide('reject'),
  'approval.return': taskMove('return'),
  'approval.transfer': taskMove('transfer'),
  'approval.addsign': taskMove('addsign'),
  'approval.submit': submit,
  'approval.form': async ({ ctx, locale, payload }) => ({
    card: await startCard(ctx, locale, str(payload.tpl)),
  }),
  'approval.preview': async ({ ctx, locale, payload, formValues }) => ({
    card: await startCard(ctx, locale, str(payload.tpl), formValues),
  }),
  'approval.todo': async ({ ctx, locale, timeZone }) => ({ card: await todoCard(ctx, locale, timeZone) }),
  'approval.urge': async ({ ctx, locale, timeZone, payload }) => {
    const view = await urgeInstance({ ctx, input: { instanceId: str(payload.ins) } })
    return {
      toast: { kind: 'success', text: t(locale, '已催办', 'Nudged') },
      card: approvalProgressCard(view, locale, timeZone),
    }
  },
  'approval.withdraw': async ({ ctx, locale, timeZone, payload }) => {
    const view = await withdrawInstance({ ctx, input: { instanceId: str(payload.ins) } })
    return {
      toast: { kind: 'success', text: t(locale, '已撤回', 'Withdrawn') },
      card: approvalProgressCard(view, locale, timeZone),
    }
  },
  'approval.resubmit': async ({ ctx, locale, timeZone, payload }) => {
    const view = await resubmitInstance({ ctx, input: { instanceId: str(payload.ins) } })
    return {
      toast: { kind: 'success', text: t(locale, '已重新提交', 'Resubmitted') },
      card: approvalProgressCard(view, locale, timeZone),
    }
  },
}
