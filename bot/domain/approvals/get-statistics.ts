import { sql } from 'drizzle-orm'
import type { ServiceContext } from '../context'
import { StatisticsInput } from './schemas'
import { requireApprovalAdmin } from './store'
import { requestTitle } from './title'

export interface ApprovalStatistics {
  templates: Array<{
    templateKey: string
    templateName: string
    total: number
    finished: number
    approved: number
    avgHours: number | null
  }>
  approvers: Array<{ userId: string; name: string; decided: number; avgHours: number | null }>
  overdue: Array<{
    taskId: string
    instanceId: string
    title: string
    assigneeId: string
    assigneeName: string
    since: Date
    hours: number
  }>
}

type Row = Record<string, unknown>
const num = (v: unknown): number => Number(v ?? 0)
const hours = (v: unknown): number | null =>
  v === null || v === undefined ? null : Math.round(Number(v) * 100) / 100

/**
 * Average duration per template and per approver, and the overdue list (admins only); names and titles in the
 * reader's language (`ctx.locale`), as the approval lists show them.
 */
export async function getStatistics({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: Partial<StatisticsInput>
}): Promise<ApprovalStatistics> {
  const q = StatisticsInput.parse(input)
  await requireApprovalAdmin(ctx)
  const t = ctx.tenantId
  const between = (col: ReturnType<typeof sql.raw>) =>
    sql`${q.from ? sql`and ${col} >= ${q.from.toISOString()}::timestamptz` : sql``} ${q.to ? sql`and ${col} <= ${q.to.toISOString()}::timestamptz` : sql``}`
  const now = ctx.clock.now()
  const exec = async (query: ReturnType<typeof sql>): Promise<Row[]> => {
    const r = (await ctx.db.execute(query)) as unknown
    return Array.isArray(r) ? (r as Row[]) : ((r as { rows?: Row[] }).rows ?? [])
  }
  const [templates, approvers, overdue] = await Promise.all([
    exec(sql`
      select tp.key as template_key, tp.name as template_name, tp.name_en as template_name_en, count(*) as total,
        count(i.finished_at) filter (where i.status in ('approved','rejected')) as finished,
        count(*) filter (where i.status = 'approved') as approved,
        avg(extract(epoch from (i.finished_at - i.created_at)) / 3600)
          filter (where i.status in ('approved','rejected')) as avg_hours
      from approval_instances i join approval_templates tp on tp.id = i.template_id
      where i.tenant_id = ${t} ${between(sql.raw('i.created_at'))}
      group by tp.key, tp.name, tp.name_en order by total desc`),
    exec(sql`
      select k.assignee_id as user_id, u.name, u.en_name, count(*) as decided,
        avg(extract(epoch from (k.decided_at - k.activated_at)) / 3600) as avg_hours
      from approval_tasks k join users u on u.id = k.assignee_id
      where k.tenant_id = ${t} and k.kind = 'approve' and k.auto is null
        and k.status in ('approved','rejected','returned') and k.decided_by = k.assignee_id
        ${between(sql.raw('k.decided_at'))}
      group by k.assignee_id, u.name, u.en_name order by decided desc`),
    exec(sql`
      select k.id as task_id, k.instance_id, i.title, k.assignee_id, u.name as assignee_name,
        u.en_name as assignee_en_name, k.activated_at as since, tp.name as template_name,
        tp.name_en as template_name_en, iu.name as initiator_name, iu.en_name as initiator_en_name,
        case when jsonb_typeof(i.form -> (tv.settings ->> 'titleField')) = 'string'
          then nullif(left(i.form ->> (tv.settings ->> 'titleField'), 40), '') end as title_extra
      from approval_tasks k join approval_instances i on i.id = k.instance_id join users u on u.id = k.assignee_id
        join approval_templates tp on tp.id = i.template_id
        join approval_template_versions tv on tv.id = i.template_version_id
        left join users iu on iu.id = i.initiator_id
      where k.tenant_id = ${t} and k.status = 'pending' and i.status = 'pending'
        and k.activated_at < ${new Date(now.getTime() - q.overdueHours * 3600_000).toISOString()}::timestamptz
      order by k.activated_at limit 200`),
  ])
  const locale = ctx.locale ?? 'zh-CN'
  const en = locale === 'en'
  const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null)
  return {
    templates: templates.map((r) => ({
      templateKey: String(r.template_key),
      templateName: (en && str(r.template_name_en)) || String(r.template_name),
      total: num(r.total),
      finished: num(r.finished),
      approved: num(r.approved),
      avgHours: hours(r.avg_hours),
    })),
    approvers: approvers.map((r) => ({
      userId: String(r.user_id),
      name: (en && str(r.en_name)) || String(r.name),
      decided: num(r.decided),
      avgHours: hours(r.avg_hours),
    })),
    overdue: overdue.map((r) => {
      const since = new Date(String(r.since))
      return {
        taskId: String(r.task_id),
        instanceId: String(r.instance_id),
        title: str(r.initiator_name)
          ? requestTitle(
              {
                initiatorName: String(r.initiator_name),
                initiatorEnName: str(r.initiator_en_name),
                templateName: String(r.template_name),
                templateNameEn: str(r.template_name_en),
                titleExtra: str(r.title_extra),
              },
              locale,
            )
          : String(r.title),
        assigneeId: String(r.assignee_id),
        assigneeName: (en && str(r.assignee_en_name)) || String(r.assignee_name),
        since,
        hours: Math.round(((now.getTime() - since.getTime()) / 3600_000) * 10) / 10,
      }
    }),
  }
}
