import { and, asc, eq, inArray } from 'drizzle-orm'
import { closeReasons, stageSets, stages } from '../../../db/schema'
import { newId } from '../../lib/ids'
import type { ServiceContext } from '../context'

export type StageRow = typeof stages.$inferSelect
export type StageSetRow = typeof stageSets.$inferSelect

export interface StageSetView {
  id: string
  name: string
  businessLine: string | null
  isDefault: boolean
  stages: Array<{
    id: string
    name: string
    nameEn: string | null
    probability: number
    sortOrder: number
    kind: 'open' | 'won' | 'lost'
    forecastCategory: 'pipeline' | 'best_case' | 'commit'
  }>
}

/** The stage set every tenant starts with (default win probability per stage). */
export const DEFAULT_STAGES = [
  { name: '初步接洽', nameEn: 'Qualification', probability: 10, kind: 'open', forecastCategory: 'pipeline' },
  { name: '需求确认', nameEn: 'Needs analysis', probability: 30, kind: 'open', forecastCategory: 'pipeline' },
  { name: '方案报价', nameEn: 'Proposal', probability: 50, kind: 'open', forecastCategory: 'best_case' },
  { name: '谈判审核', nameEn: 'Negotiation', probability: 70, kind: 'open', forecastCategory: 'commit' },
  { name: '赢单', nameEn: 'Won', probability: 100, kind: 'won', forecastCategory: 'commit' },
  { name: '输单', nameEn: 'Lost', probability: 0, kind: 'lost', forecastCategory: 'pipeline' },
] as const

export const DEFAULT_LOST_REASONS = ['价格过高', '选择了竞争对手', '需求取消', '预算不足', '联系不上决策人']
export const DEFAULT_WON_REASONS = ['方案匹配', '价格优势', '关系维护', '服务口碑']

/**
 * Creates the default stage set and close reasons of the tenant when it has none. Idempotent and safe under
 * concurrency (unique indexes decide), so it runs on first use by any tenant, new ones included.
 */
export async function ensureSalesDefaults(ctx: ServiceContext): Promise<void> {
  const [existing] = await ctx.db
    .select({ id: stageSets.id })
    .from(stageSets)
    .where(and(eq(stageSets.tenantId, ctx.tenantId), eq(stageSets.isDefault, true)))
  if (existing) return
  const setId = newId('sst')
  const created = await ctx.db
    .insert(stageSets)
    .values({ id: setId, tenantId: ctx.tenantId, name: '默认销售流程', isDefault: true })
    .onConflictDoNothing()
    .returning({ id: stageSets.id })
  if (created.length === 0) return
  await ctx.db.insert(stages).values(
    DEFAULT_STAGES.map((s, i) => ({
      id: newId('stg'),
      tenantId: ctx.tenantId,
      stageSetId: setId,
      name: s.name,
      nameEn: s.nameEn,
      probability: s.probability,
      sortOrder: i + 1,
      kind: s.kind,
      forecastCategory: s.forecastCategory,
    })),
  )
  await ctx.db
    .insert(closeReasons)
    .values([
      ...DEFAULT_LOST_REASONS.map((name, i) => ({
        id: newId('rsn'),
        tenantId: ctx.tenantId,
        kind: 'lost' as const,
        name,
        sortOrder: i,
      })),
      ...DEFAULT_WON_REASONS.map((name, i) => ({
        id: newId('rsn'),
        tenantId: ctx.tenantId,
        kind: 'won' as const,
        name,
        sortOrder: i,
      })),
    ])
    .onConflictDoNothing()
}

/** Stage sets of the tenant with their stages in order (the default set first). */
export async function loadStageSets(ctx: ServiceContext, ids?: string[]): Promise<StageSetView[]> {
  const sets = await ctx.db
    .select()
    .from(stageSets)
    .where(and(eq(stageSets.tenantId, ctx.tenantId), ids ? inArray(stageSets.id, ids) : undefined))
    .orderBy(asc(stageSets.createdAt))
  if (sets.length === 0) return []
  const rows = await ctx.db
    .select()
    .from(stages)
    .where(
      and(
        eq(stages.tenantId, ctx.tenantId),
        inArray(
          stages.stageSetId,
          sets.map((s) => s.id),
        ),
      ),
    )
    .orderBy(asc(stages.sortOrder))
  return sets
    .map((s) => ({
      id: s.id,
      name: s.name,
      businessLine: s.businessLine,
      isDefault: s.isDefault,
      stages: rows
        .filter((r) => r.stageSetId === s.id)
        .map((r) => ({
          id: r.id,
          name: r.name,
          nameEn: r.nameEn,
          probability: r.probability,
          sortOrder: r.sortOrder,
          kind: r.kind,
          forecastCategory: r.forecastCategory,
        })),
    }))
    .sort((a, b) => Number(b.isDefault) - Number(a.isDefault))
}
