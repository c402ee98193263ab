import { and, count, desc, eq, gte, ilike, inArray, isNotNull, isNull, lt, or, type SQL } from 'drizzle-orm'
import { leads } from '../../../db/schema'
import { escapeLike } from '../../lib/sql-like'
import { zonedDateTime } from '../../lib/time-zone'
import { addDays, zonedDayStart } from '../../lib/zoned'
import { actorId, type ServiceContext } from '../context'
import { toCsv } from '../crm/spreadsheet'
import { requirePermission } from '../org/permissions'
import { tenantTimeZone } from '../org/time-zone'
import { type LeadAccess, loadLeadAccess, visibleLeads } from './access'
import { type LeadDto, leadLabels, toLeadDto } from './dto'
import { leadListInput, parseInput } from './schemas'

/**
 * The SQL filter of a lead list. `from` and `to` are days in `zone`, the tenant's (`tenantTimeZone`). `reached` counts a lead in every stage it has passed (what the channel
 * analysis counts), so a drill-down from a figure lists exactly the leads behind it.
 */
export function leadFilter(
  ctx: ServiceContext,
  access: LeadAccess,
  input: ReturnType<typeof leadListInput.parse>,
  zone: string,
): SQL {
  const me = actorId(ctx.actor)
  const conds: Array<SQL | undefined> = [visibleLeads(ctx, access)]
  if (input.status) conds.push(eq(leads.status, input.status))
  if (input.reached === 'contacted')
    conds.push(
      or(isNotNull(leads.firstContactedAt), inArray(leads.status, ['contacted', 'qualified', 'converted'])),
    )
  if (input.reached === 'qualified') conds.push(inArray(leads.status, ['qualified', 'converted']))
  if (input.reached === 'converted') conds.push(eq(leads.status, 'converted'))
  if (input.channelId) conds.push(eq(leads.channelId, input.channelId))
  if (input.campaignId) conds.push(eq(leads.campaignId, input.campaignId))
  if (input.ownerId) conds.push(eq(leads.ownerId, input.ownerId))
  if (input.scope === 'mine') conds.push(me ? eq(leads.ownerId, me) : isNull(leads.id))
  if (input.scope === 'pool') conds.push(isNull(leads.ownerId))
  if (input.scope === 'owned') conds.push(isNotNull(leads.ownerId))
  if (input.sla) conds.push(eq(leads.slaState, input.sla))
  if (input.from) conds.push(gte(leads.createdAt, zonedDayStart(input.from, zone)))
  if (input.to) conds.push(lt(leads.createdAt, zonedDayStart(addDays(input.to, 1), zone)))
  if (input.q) {
    const like = `%${escapeLike(input.q)}%`
    conds.push(
      or(
        ilike(leads.name, like),
        ilike(leads.company, like),
        ilike(leads.phone, like),
        ilike(leads.email, like),
      ),
    )
  }
  return and(...conds) as SQL
}

/** A page of leads the caller may see, newest first, with the total for the filters. */
export async function listLeads({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: unknown
}): Promise<{ items: LeadDto[]; total: number }> {
  const data = parseInput(leadListInput, input ?? {})
  const [access, zone] = await Promise.all([loadLeadAccess(ctx), tenantTimeZone(ctx)])
  const where = leadFilter(ctx, access, data, zone)
  const [rows, [total]] = await Promise.all([
    ctx.db
      .select()
      .from(leads)
      .where(where)
      .orderBy(desc(leads.createdAt), desc(leads.id))
      .limit(data.limit)
      .offset(data.offset),
    ctx.db.select({ n: count() }).from(leads).where(where),
  ])
  const labels = await leadLabels(ctx, rows)
  return { items: rows.map((r) => toLeadDto(r, labels)), total: total?.n ?? 0 }
}

export const EXPORT_LIMIT = 50_000

/** The same list as a CSV (UTF-8 with BOM, opens in Excel); needs `crm.export`. */
export async function exportLeads({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: unknown
}): Promise<Uint8Array> {
  await requirePermission(ctx, 'crm.export')
  const data = parseInput(leadListInput, input ?? {})
  const [access, zone] = await Promise.all([loadLeadAccess(ctx), tenantTimeZone(ctx)])
  const rows = await ctx.db
    .select()
    .from(leads)
    .where(leadFilter(ctx, access, data, zone))
    .orderBy(desc(leads.createdAt))
    .limit(EXPORT_LIMIT)
  const labels = await leadLabels(ctx, rows)
  const headers = [
    '姓名',
    '公司',
    '电话',
    '邮箱',
    '地区',
    '意向产品',
    '状态',
    '负责人',
    '渠道',
    '活动',
    'SLA',
    // Wall time in the tenant's zone (the zone named), as everywhere people read times.
    `创建时间（${zone}）`,
  ]
  return toCsv(
    headers,
    rows.map((r) => {
      const d = toLeadDto(r, labels)
      return [
        d.name,
        d.company ?? '',
        d.phoneRaw ?? '',
        d.emailRaw ?? '',
        d.region ?? '',
        d.productInterest ?? '',
        d.status,
        d.ownerName ?? '线索池',
        d.channelName,
        d.campaignName ?? '',
        d.slaState,
        zonedDateTime(r.createdAt, zone),
      ]
    }),
  )
}
