import { computed, onScopeDispose, ref, shallowRef } from 'vue'
import { useI18n } from 'vue-i18n'
import type { RouteLocationRaw } from 'vue-router'
import type { HomeTodos } from '@/api/contract'
import { isApiError } from '@/api/errors'
import { fetchHomeTodos } from '@/api/home'
import type { MessageKey } from '@/i18n'
import { formatWhen } from '@/lib/format'
import { formatYuan } from '@/api/sales'
import { type ErrorDescription, useErrorMessage } from './use-error-message'
import { useT } from './use-t'

export interface TodoItem {
  id: string
  title: string
  label: string | null
  value: string | null
  tag: string | null
  to: RouteLocationRaw
}

export interface TodoSection {
  key: keyof HomeTodos
  titleKey: MessageKey
  emptyKey: MessageKey
  items: TodoItem[]
}

export type HomeState =
  | { kind: 'loading' }
  | { kind: 'ready'; todos: HomeTodos }
  | ({ kind: 'error' } & ErrorDescription)

export const EMPTY_TODOS: HomeTodos = {
  approvals: [],
  followups: [],
  visits: [],
  notices: [],
  leads: [],
  deals: [],
  payments: [],
}

/** Sections shown only when they hold something (most people have no deals; an empty one is noise). */
const ONLY_WHEN_FILLED: ReadonlyArray<keyof HomeTodos> = ['deals', 'payments']

function asList<T>(value: T[] | undefined): T[] {
  return Array.isArray(value) ? value : []
}

/** Fills missing sections so a partial answer from an older bot still renders. */
export function normalizeTodos(todos: Partial<HomeTodos> | undefined): HomeTodos {
  return {
    approvals: asList(todos?.approvals),
    followups: asList(todos?.followups),
    visits: asList(todos?.visits),
    notices: asList(todos?.notices),
    leads: asList(todos?.leads),
    deals: asList(todos?.deals),
    payments: asList(todos?.payments),
  }
}

/**
 * Today's to-dos from `GET /api/v1/home`. A 404 (the bot has no such route yet) reads as "nothing to do",
 * not as a failure.
 */
export function useHomeTodos() {
  const { locale } = useI18n()
  const t = useT()
  const { describeError } = useErrorMessage()
  const state = shallowRef<HomeState>({ kind: 'loading' })
  const refreshing = ref(false)
  let controller: AbortController | null = null

  async function load(): Promise<void> {
    controller?.abort()
    const current = new AbortController()
    controller = current
    if (state.value.kind !== 'ready') state.value = { kind: 'loading' }
    try {
      state.value = { kind: 'ready', todos: normalizeTodos(await fetchHomeTodos(current.signal)) }
    } catch (error) {
      if (current.signal.aborted) return
      state.value =
        isApiError(error) && error.isNotFound
          ? { kind: 'ready', todos: EMPTY_TODOS }
          : { kind: 'error', ...describeError(error) }
    } finally {
      if (controller === current) refreshing.value = false
    }
  }

  onScopeDispose(() => controller?.abort())

  const sections = computed<TodoSection[]>(() => {
    const todos = state.value.kind === 'ready' ? state.value.todos : EMPTY_TODOS
    const when = (iso: string | undefined) => formatWhen(iso, locale.value)
    const all: TodoSection[] = [
      {
        key: 'approvals',
        titleKey: 'home.sections.approvals',
        emptyKey: 'home.empty.approvals',
        items: todos.approvals.map((item) => ({
          id: item.id,
          title: item.title,
          label: item.initiator ? t('home.submittedBy', { name: item.initiator.name }) : null,
          value: when(item.submittedAt),
          tag: null,
          to: { name: 'approval', params: { id: item.id } },
        })),
      },
      {
        key: 'followups',
        titleKey: 'home.sections.followups',
        emptyKey: 'home.empty.followups',
        items: todos.followups.map((item) => {
          const due = when(item.dueAt)
          return {
            id: item.id,
            title: item.customer.name,
            label: item.summary ?? null,
            value: due ? t('home.dueAt', { time: due }) : null,
            tag: null,
            to: { name: 'customer', params: { id: item.customer.id } },
          }
        }),
      },
      {
        key: 'visits',
        titleKey: 'home.sections.visits',
        emptyKey: 'home.empty.visits',
        items: todos.visits.map((item) => {
          const planned = when(item.plannedAt)
          return {
            id: item.id,
            title: item.customer.name,
            label: item.address ?? null,
            value: planned ? t('home.plannedAt', { time: planned }) : null,
            tag: null,
            to: { name: 'customer', params: { id: item.customer.id } },
          }
        }),
      },
      {
        key: 'notices',
        titleKey: 'home.sections.notices',
        emptyKey: 'home.empty.notices',
        items: todos.notices.map((item) => ({
          id: item.id,
          title: item.title,
          label: null,
          value: when(item.publishedAt),
          tag: item.requiresAck ? t('home.requiresAck') : null,
          to: { name: 'notice', params: { id: item.id } },
        })),
      },
      {
        key: 'leads',
        titleKey: 'home.sections.leads',
        emptyKey: 'home.empty.leads',
        items: todos.leads.map((item) => {
          const due = when(item.slaDueAt ?? undefined)
          return {
            id: item.id,
            title: item.company ? `${item.name} · ${item.company}` : item.name,
            label: item.channelName,
            value: due ? t('home.contactBy', { time: due }) : null,
            tag: item.overdue ? t('home.overdue') : null,
            to: { name: 'lead', params: { id: item.id } },
          }
        }),
      },
      {
        key: 'payments',
        titleKey: 'home.sections.payments',
        emptyKey: 'home.empty.payments',
        items: todos.payments.map((item) => ({
          id: item.instalmentId,
          title: `${item.customer.name} · ${item.contract.number}`,
          label: t('home.instalment', { seq: item.seq, due: item.dueDate }),
          value: formatYuan(item.outstandingCents, locale.value),
          tag: t('home.daysOverdue', { n: item.daysOverdue }),
          to: { name: 'contract', params: { id: item.contract.id } },
        })),
      },
      {
        key: 'deals',
        titleKey: 'home.sections.deals',
        emptyKey: 'home.empty.deals',
        items: todos.deals.map((item) => ({
          id: item.id,
          title: `${item.name} · ${item.customer.name}`,
          label: item.stalled ? t('home.idleDays', { n: item.idleDays }) : null,
          value: formatYuan(item.amountCents, locale.value),
          tag: item.closeDatePassed ? t('home.closeDatePassed') : item.stalled ? t('home.stalled') : null,
          to: { name: 'deal', params: { id: item.id } },
        })),
      },
    ]
    return all.filter((section) => section.items.length > 0 || !ONLY_WHEN_FILLED.includes(section.key))
  })

  const total = computed(() => sections.value.reduce((sum, section) => sum + section.items.length, 0))

  function refresh(): Promise<void> {
    refreshing.value = true
    return load()
  }

  return { state, sections, total, refreshing, load, refresh }
}
