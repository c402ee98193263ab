import type { Translate } from '@/composables/use-t'

const INSTANCE_STATUSES = ['pending', 'approved', 'rejected', 'returned', 'withdrawn', 'cancelled'] as const
const TASK_STATUSES = ['pending', 'waiting', 'approved', 'rejected', 'returned', 'transferred', 'skipped', 'cancelled', 'cc'] as const
const ACTIONS = [
  'submit', 'approve', 'reject', 'return', 'resubmit', 'transfer', 'add_sign', 'withdraw',
  'urge', 'cancel', 'auto_approve', 'skip', 'cc', 'remind', 'escalate', 'finish',
] as const

export function instanceStatusLabel(t: Translate, status: string): string {
  const s = INSTANCE_STATUSES.find((x) => x === status)
  return s ? t(`approvals.status.${s}`) : status
}

export function taskStatusLabel(t: Translate, status: string): string {
  const s = TASK_STATUSES.find((x) => x === status)
  return s ? t(`approvals.taskStatus.${s}`) : status
}

export function actionLabel(t: Translate, action: string): string {
  const a = ACTIONS.find((x) => x === action)
  return a ? t(`approvals.actions.${a}`) : action
}

/** Vant tag colour of a status. */
export function statusTone(status: string): 'primary' | 'success' | 'danger' | 'warning' | 'default' {
  if (status === 'approved') return 'success'
  if (status === 'rejected') return 'danger'
  if (status === 'pending' || status === 'returned') return 'warning'
  return 'default'
}
