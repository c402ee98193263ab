import { eq, sql } from 'drizzle-orm'
import { approvalInstances, approvalTemplates, customers } from '../../../../db/schema'
import { activityReport } from './activity'
import { channelsReport } from './channels'
import { forecastReport, winLossReport } from './deals'
import { countAll, type FactDimension, factReport, type ReportDefinition, type Text } from './define'
import { funnelReport } from './funnel'
import { rolledUpMap } from './map'
import { ageingReport, receivablesReport } from './receivables'
import { serviceReport } from './service'
import { targetsReport } from './targets'

const periodDimensions: FactDimension[] = [
  { key: 'month', label: { zh: '按月', en: 'By month' }, kind: 'period', expr: sql`null` },
  { key: 'week', label: { zh: '按周', en: 'By week' }, kind: 'period', expr: sql`null` },
  { key: 'day', label: { zh: '按天', en: 'By day' }, kind: 'period', expr: sql`null` },
]

const customerLink = (id: string) => `/app/customers/${id}`
const tierCount = (tier: string, label: Text) => ({
  key: `tier${tier}`,
  label,
  unit: 'count' as const,
  additive: true,
  agg: countAll(sql`${customers.tier} = ${tier}`),
  where: sql`${customers.tier} = ${tier}`,
})

/** New customers (新增客户) by period, industry, tier, region, source or owner. */
const customersNew = factReport({
  key: 'customers-new',
  title: { zh: '新增客户', en: 'New customers' },
  description: {
    zh: '期间内新建的客户，可按时间、行业、级别、省份、来源或负责人分组',
    en: 'Customers created in the period, by time, industry, tier, province, source or owner',
  },
  table: customers,
  tenantColumn: customers.tenantId,
  timeColumn: customers.createdAt,
  personColumn: customers.ownerId,
  timing: 'period',
  dimensions: [
    ...periodDimensions,
    { key: 'owner', label: { zh: '负责人', en: 'Owner' }, kind: 'person', expr: customers.ownerId },
    { key: 'industry', label: { zh: '行业', en: 'Industry' }, kind: 'text', expr: customers.industry },
    { key: 'tier', label: { zh: '级别', en: 'Tier' }, kind: 'text', expr: customers.tier },
    {
      key: 'province',
      label: { zh: '省份', en: 'Province' },
      kind: 'province',
      expr: customers.provinceCode,
    },
    { key: 'source', label: { zh: '来源', en: 'Source' }, kind: 'text', expr: customers.source },
  ],
  measures: [
    {
      key: 'customers',
      label: { zh: '客户数', en: 'Customers' },
      unit: 'count',
      additive: true,
      agg: countAll(),
    },
  ],
  record: {
    kind: 'customer',
    id: customers.id,
    title: customers.name,
    subtitle: customers.industry,
    link: customerLink,
  },
})

/**
 * The customer distribution map (客户分布): customers by province, or by city inside one province, as of the
 * period's end, with the tier mix. One `GROUP BY` on the region code column — never a query per province.
 */
const rawCustomerMap = factReport({
  key: 'customer-map',
  title: { zh: '客户分布', en: 'Customer distribution' },
  description: {
    zh: '截至期末的客户按省份（或某省的城市）分布与级别构成',
    en: 'Customers by province (or by city within a province) at the end of the period, with tiers',
  },
  table: customers,
  tenantColumn: customers.tenantId,
  timeColumn: customers.createdAt,
  personColumn: customers.ownerId,
  timing: 'snapshot',
  where: (env) =>
    env.dimension.key === 'city' && env.q.provinceCode
      ? sql`${customers.provinceCode} = ${env.q.provinceCode.padEnd(6, '0')}`
      : undefined,
  dimensions: [
    {
      key: 'province',
      label: { zh: '省份', en: 'Province' },
      kind: 'province',
      expr: customers.provinceCode,
    },
    { key: 'city', label: { zh: '城市', en: 'City' }, kind: 'city', expr: customers.cityCode },
  ],
  measures: [
    {
      key: 'customers',
      label: { zh: '客户数', en: 'Customers' },
      unit: 'count',
      additive: true,
      agg: countAll(),
    },
    tierCount('A', { zh: 'A 级', en: 'Tier A' }),
    tierCount('B', { zh: 'B 级', en: 'Tier B' }),
    tierCount('C', { zh: 'C 级', en: 'Tier C' }),
  ],
  record: {
    kind: 'customer',
    id: customers.id,
    title: customers.name,
    subtitle: customers.address,
    link: customerLink,
  },
})
/** The map from its rollup; the GROUP BY above stays its reference. */
const customerMap = rolledUpMap(rawCustomerMap)

const hoursToFinish = sql`extract(epoch from (${approvalInstances.finishedAt} - ${approvalInstances.createdAt})) / 3600.0`
const finished = sql`${approvalInstances.finishedAt} is not null`

/** Approvals (审批统计) by template, month or initiator: how many, how they ended, how long they took. */
const approvalsReport = factReport({
  key: 'approvals',
  title: { zh: '审批统计', en: 'Approvals' },
  description: {
    zh: '期间内提交的审批：数量、结果与平均耗时',
    en: 'Requests submitted in the period: how many, how they ended, how long they took',
  },
  table: approvalInstances,
  tenantColumn: approvalInstances.tenantId,
  timeColumn: approvalInstances.createdAt,
  personColumn: approvalInstances.initiatorId,
  timing: 'period',
  dimensions: [
    {
      key: 'template',
      label: { zh: '审批类型', en: 'Template' },
      kind: 'text',
      expr: sql`(select ${approvalTemplates.name} from ${approvalTemplates} where ${eq(approvalTemplates.id, approvalInstances.templateId)})`,
    },
    ...periodDimensions,
    {
      key: 'initiator',
      label: { zh: '发起人', en: 'Initiator' },
      kind: 'person',
      expr: approvalInstances.initiatorId,
    },
  ],
  measures: [
    {
      key: 'submitted',
      label: { zh: '提交', en: 'Submitted' },
      unit: 'count',
      additive: true,
      agg: countAll(),
    },
    {
      key: 'approved',
      label: { zh: '通过', en: 'Approved' },
      unit: 'count',
      additive: true,
      agg: countAll(sql`${approvalInstances.status} = 'approved'`),
      where: sql`${approvalInstances.status} = 'approved'`,
    },
    {
      key: 'rejected',
      label: { zh: '拒绝', en: 'Rejected' },
      unit: 'count',
      additive: true,
      agg: countAll(sql`${approvalInstances.status} = 'rejected'`),
      where: sql`${approvalInstances.status} = 'rejected'`,
    },
    {
      key: 'pending',
      label: { zh: '审批中', en: 'Pending' },
      unit: 'count',
      additive: true,
      agg: countAll(sql`${approvalInstances.status} = 'pending'`),
      where: sql`${approvalInstances.status} = 'pending'`,
    },
    {
      key: 'avgHours',
      label: { zh: '平均耗时（小时）', en: 'Average hours' },
      unit: 'hours',
      additive: false,
      agg: sql`round((avg(${hoursToFinish}) filter (where ${finished}))::numeric, 1)`,
      where: finished,
    },
  ],
  record: {
    kind: 'approval',
    id: approvalInstances.id,
    title: approvalInstances.title,
    subtitle: approvalInstances.status,
    link: (id) => `/app/approvals/${id}`,
  },
})

/** Every report, by key. Features add theirs here. */
export const reports: ReportDefinition[] = [
  customersNew,
  customerMap,
  activityReport,
  approvalsReport,
  targetsReport,
  funnelReport,
  forecastReport,
  receivablesReport,
  ageingReport,
  channelsReport,
  winLossReport,
  serviceReport,
]

export const reportByKey = new Map(reports.map((r) => [r.key, r]))
