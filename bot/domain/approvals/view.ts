import { and, eq, inArray } from 'drizzle-orm'
import { approvalInstances, customers } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { NotFoundError } from '../errors'
import type { Locale } from '../locale'
import type { FormField, PlanStep, TemplateSettings } from './schemas'
import {
  type InstanceRow,
  loadDepartmentNames,
  loadTasks,
  loadTemplateVersion,
  loadUsers,
  planOf,
  type TaskRow,
  type UserBrief,
} from './store'
import { requestTitle, titleExtraOf } from './title'

/** Everything a card or the API shows about one instance, loaded in a handful of queries. */
export interface ApprovalView {
  instance: InstanceRow
  template: {
    key: string
    name: string
    nameEn: string | null
    form: FormField[]
    settings: TemplateSettings
  }
  plan: PlanStep[]
  tasks: TaskRow[]
  users: Map<string, UserBrief>
  departments: Map<string, string>
  /** Names of the CRM records the form references (customer id → name), for display only. */
  records: Map<string, string>
}

/**
 * Loads the view. `knownTasks` (every task of the instance, as the caller's transaction left them) saves
 * re-reading them on the hot path of a tap.
 */
export async function loadView(
  ctx: ServiceContext,
  instance: InstanceRow | string,
  knownTasks?: TaskRow[],
): Promise<ApprovalView> {
  let ins: InstanceRow | undefined
  if (typeof instance === 'string') {
    ;[ins] = await ctx.db
      .select()
      .from(approvalInstances)
      .where(and(eq(approvalInstances.tenantId, ctx.tenantId), eq(approvalInstances.id, instance)))
    if (!ins) throw new NotFoundError('approval', instance)
  } else ins = instance
  const [tv, tasks] = await Promise.all([
    loadTemplateVersion(ctx, { templateId: ins.templateId, version: ins.templateVersion }),
    knownTasks ? Promise.resolve(sortTasks(knownTasks)) : loadTasks(ctx, ins.id),
  ])
  // Plans stored before steps kept their English name take it from the template version's node.
  const nodesById = new Map(tv.flow.nodes.map((n) => [n.id, n]))
  const plan = planOf(ins).map((s) => {
    const node = nodesById.get(s.nodeId)
    return s.nameEn || !node || !('nameEn' in node) || !node.nameEn ? s : { ...s, nameEn: node.nameEn }
  })
  const userIds = new Set<string>([ins.initiatorId])
  const deptIds = new Set<string>()
  const customerIds = new Set<string>()
  for (const t of tasks) {
    userIds.add(t.assigneeId)
    if (t.decidedBy) userIds.add(t.decidedBy)
  }
  for (const s of plan) for (const id of s.approverIds) userIds.add(id)
  for (const f of tv.form) {
    const v = ins.form[f.key]
    if (typeof v !== 'string') continue
    if (f.type === 'user') userIds.add(v)
    if (f.type === 'department') deptIds.add(v)
    if (f.type === 'customer') customerIds.add(v)
  }
  const [users, departments, records] = await Promise.all([
    loadUserBriefs(ctx, userIds),
    loadDepartmentNames(ctx, deptIds),
    loadCustomerNames(ctx, customerIds),
  ])
  return {
    instance: ins,
    template: { key: tv.key, name: tv.name, nameEn: tv.nameEn, form: tv.form, settings: tv.settings },
    plan,
    tasks,
    users,
    departments,
    records,
  }
}

/** Customer names for referenced ids (the request's participants see what it is about, nothing more). */
async function loadCustomerNames(ctx: ServiceContext, ids: Set<string>): Promise<Map<string, string>> {
  if (ids.size === 0) return new Map()
  const rows = await ctx.db
    .select({ id: customers.id, name: customers.name })
    .from(customers)
    .where(and(eq(customers.tenantId, ctx.tenantId), inArray(customers.id, [...ids])))
  return new Map(rows.map((r) => [r.id, r.name]))
}

const sortTasks = (tasks: TaskRow[]): TaskRow[] =>
  [...tasks].sort(
    (a, b) =>
      a.round - b.round ||
      a.stepIndex - b.stepIndex ||
      a.seq - b.seq ||
      a.createdAt.getTime() - b.createdAt.getTime(),
  )

/**
 * Names and locales for cards, cached for a short while per tenant (a tap re-renders several cards of the
 * same people). Never used for decisions: status checks read `users` directly.
 */
const briefCache = new Map<string, { at: number; user: UserBrief }>()
const BRIEF_TTL_MS = 30_000

async function loadUserBriefs(ctx: ServiceContext, ids: Iterable<string>): Promise<Map<string, UserBrief>> {
  const now = Date.now()
  const out = new Map<string, UserBrief>()
  const missing: string[] = []
  for (const id of ids) {
    const hit = briefCache.get(`${ctx.tenantId}:${id}`)
    if (hit && now - hit.at < BRIEF_TTL_MS) out.set(id, hit.user)
    else missing.push(id)
  }
  if (missing.length > 0) {
    if (briefCache.size > 20_000) briefCache.clear()
    for (const [id, user] of await loadUsers(ctx, missing)) {
      briefCache.set(`${ctx.tenantId}:${id}`, { at: now, user })
      out.set(id, user)
    }
  }
  return out
}

export const userName = (
  view: ApprovalView,
  id: string | null | undefined,
  locale: 'zh-CN' | 'en' = 'zh-CN',
) => {
  if (!id) return '—'
  const u = view.users.get(id)
  if (!u) return id
  return locale === 'en' && u.enName ? u.enName : u.name
}

/** The request's title in the reader's language (`requestTitle`). */
export const viewTitle = (view: ApprovalView, locale: Locale): string => {
  const u = view.users.get(view.instance.initiatorId)
  return requestTitle(
    {
      initiatorName: u?.name ?? view.instance.initiatorId,
      initiatorEnName: u?.enName,
      templateName: view.template.name,
      templateNameEn: view.template.nameEn,
      titleExtra: titleExtraOf(view.template.settings, view.instance.form),
    },
    locale,
  )
}

/** Tasks of the instance's current round. */
export const currentTasks = (view: ApprovalView): TaskRow[] =>
  view.tasks.filter((t) => t.round === view.instance.round)
