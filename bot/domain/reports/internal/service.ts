import { sql } from 'drizzle-orm'
import { serviceTickets } from '../../../../db/schema'
import { countAll, type FactDimension, factReport } from './define'

const t = serviceTickets
const OPEN = sql`${t.status} in ('new', 'assigned', 'in_progress', 'waiting_customer')`
const BREACHED = sql`(${t.responseSla} = 'breached' or ${t.resolutionSla} = 'breached')`
/** Of the tickets whose clocks ended (met or breached), the share breached, in %. */
const breachRate = sql`round(100.0 * (count(*) filter (where ${BREACHED})) / nullif(count(*) filter (where ${t.responseSla} in ('met', 'breached') or ${t.resolutionSla} in ('met', 'breached')), 0), 1)`

const periodDimensions: FactDimension[] = [
  { key: 'month', label: { zh: '按月', en: 'By month' }, kind: 'period', expr: sql`null` },
  { key: 'week', label: { zh: '按周', en: 'By week' }, kind: 'period', expr: sql`null` },
  { key: 'day', label: { zh: '按天', en: 'By day' }, kind: 'period', expr: sql`null` },
]

/**
 * 售后工单: tickets opened in the period by time, engineer, type, priority, channel, product or the open
 * tickets' age — volume, still open, mean first-response minutes, mean time to resolution (hours), SLA
 * breach rate and mean satisfaction. Scoped on the engineer (owner) like every CRM report.
 */
export const serviceReport = factReport({
  key: 'service-tickets',
  title: { zh: '售后工单', en: 'Service tickets' },
  description: {
    zh: '期间内受理的工单：数量、未结、平均首次响应、平均解决时长、SLA 超时率与满意度',
    en: 'Tickets opened in the period: volume, open, mean first response, mean time to resolution, SLA breach rate, satisfaction',
  },
  table: t,
  tenantColumn: t.tenantId,
  timeColumn: t.createdAt,
  personColumn: t.ownerId,
  timing: 'period',
  dimensions: [
    ...periodDimensions,
    { key: 'owner', label: { zh: '工程师', en: 'Engineer' }, kind: 'person', expr: t.ownerId },
    { key: 'type', label: { zh: '类型', en: 'Type' }, kind: 'text', expr: t.type },
    { key: 'priority', label: { zh: '优先级', en: 'Priority' }, kind: 'text', expr: t.priority },
    { key: 'channel', label: { zh: '渠道', en: 'Channel' }, kind: 'text', expr: t.channel },
    {
      key: 'product',
      label: { zh: '产品', en: 'Product' },
      kind: 'text',
      expr: sql`(select p.name from sales_products p where p.id = ${t.productId})`,
    },
    {
      key: 'age',
      label: { zh: '未结工单账龄', en: 'Open ticket age' },
      kind: 'text',
      expr: sql`case when ${OPEN} then case when now() - ${t.createdAt} < interval '1 day' then '0-1天' when now() - ${t.createdAt} < interval '3 days' then '1-3天' when now() - ${t.createdAt} < interval '7 days' then '3-7天' else '7天以上' end else '已结' end`,
    },
  ],
  measures: [
    {
      key: 'tickets',
      label: { zh: '工单数', en: 'Tickets' },
      unit: 'count',
      additive: true,
      agg: countAll(),
    },
    {
      key: 'open',
      label: { zh: '未结', en: 'Open' },
      unit: 'count',
      additive: true,
      agg: countAll(OPEN),
      where: OPEN,
    },
    {
      key: 'breached',
      label: { zh: 'SLA 超时', en: 'SLA breached' },
      unit: 'count',
      additive: true,
      agg: countAll(BREACHED),
      where: BREACHED,
    },
    {
      key: 'breachRate',
      label: { zh: '超时率', en: 'Breach rate' },
      unit: 'percent',
      additive: false,
      agg: breachRate,
    },
    {
      key: 'firstResponse',
      label: { zh: '平均首次响应', en: 'Mean first response' },
      unit: 'minutes',
      additive: false,
      agg: sql`round((avg(extract(epoch from ${t.firstRespondedAt} - ${t.createdAt})) / 60)::numeric, 1)`,
    },
    {
      key: 'mttr',
      label: { zh: '平均解决时长', en: 'Mean time to resolution' },
      unit: 'hours',
      additive: false,
      agg: sql`round((avg(extract(epoch from ${t.resolvedAt} - ${t.createdAt})) / 3600)::numeric, 1)`,
    },
    {
      key: 'satisfaction',
      label: { zh: '满意度（1–5）', en: 'Satisfaction (1–5)' },
      unit: 'count',
      additive: false,
      agg: sql`round(avg(${t.rating})::numeric, 2)`,
      where: sql`${t.rating} is not null`,
    },
  ],
  record: {
    kind: 'service_ticket',
    id: t.id,
    title: sql`${t.number} || ' ' || ${t.subject}`,
    subtitle: t.type,
    link: (id) => `/app/service/${id}`,
  },
})
