import { and, eq, lt, sql } from 'drizzle-orm'
import { platformUsage } from '../../../db/schema'
import { sendCard } from '../chat/send'
import { type ServiceContext, withTransaction } from '../context'
import { InvalidInputError } from '../errors'
import { listOrgAdmins } from './admins'
import { quotaOf, usageView } from './get-platform-usage'
import { quotaMonthOf } from './month'
import {
  type PauseSendsInput,
  type PlatformUsageView,
  pauseSendsInput,
  type RecordUsageInput,
  recordUsageInput,
  type UsageWarning,
  WARNING_LEVELS,
} from './schemas'

type Card = Parameters<typeof sendCard>[1]['card']
type Locale = NonNullable<Parameters<typeof sendCard>[1]['locale']>

/** Renders the admins' warning card; passed in by the caller (the platform layer) so the verb holds no card. */
export type UsageWarningPresenter = (warning: UsageWarning, locale: Locale) => Card

const localeOf = (l: string): Locale => (l === 'en' ? 'en' : 'zh-CN')

/** Sends the warning card to every org admin, once per level per month (the caller won the level). */
async function warnAdmins(ctx: ServiceContext, warning: UsageWarning, present?: UsageWarningPresenter) {
  ctx.logger.warn(
    {
      tenantId: ctx.tenantId,
      platform: warning.platform,
      level: warning.level,
      percent: warning.usage.percent,
    },
    'platform quota warning',
  )
  if (!present) return
  for (const admin of await listOrgAdmins(ctx)) {
    const locale = localeOf(admin.locale)
    await sendCard(ctx, {
      to: { userId: admin.id },
      card: present(warning, locale),
      ref: `platform-usage:${warning.platform}:${warning.usage.month}:${warning.level}:${admin.id}`,
      locale,
    })
  }
}

/**
 * Adds calls and pushes to the tenant's counters for this billing month. Crossing 80 % or 95 % of either
 * allowance warns the org admins once per level and month, so a spent quota is seen days before it stops
 * every message.
 */
export async function recordPlatformUsage({
  ctx,
  input,
  present,
}: {
  ctx: ServiceContext
  input: RecordUsageInput
  present?: UsageWarningPresenter
}): Promise<PlatformUsageView> {
  const parsed = recordUsageInput.safeParse(input)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new InvalidInputError(issue?.path.join('.') || 'usage', issue?.message ?? 'invalid usage')
  }
  const { platform, apiCalls, pushes } = parsed.data
  const nowMs = ctx.clock.now().getTime()
  const month = quotaMonthOf(nowMs)
  return withTransaction(ctx, async (tx, txCtx) => {
    const [row] = await tx
      .insert(platformUsage)
      .values({ tenantId: ctx.tenantId, platform, month, apiCalls, pushes })
      .onConflictDoUpdate({
        target: [platformUsage.tenantId, platformUsage.platform, platformUsage.month],
        set: {
          apiCalls: sql`${platformUsage.apiCalls} + ${apiCalls}`,
          pushes: sql`${platformUsage.pushes} + ${pushes}`,
          updatedAt: sql`now()`,
        },
      })
      .returning()
    const view = usageView(platform, month, row, await quotaOf(txCtx, platform), nowMs)
    const level = [...WARNING_LEVELS].reverse().find((l) => view.percent >= l) ?? 0
    if (level > (row?.warnedLevel ?? 0)) {
      const [won] = await tx
        .update(platformUsage)
        .set({ warnedLevel: level })
        .where(
          and(
            eq(platformUsage.tenantId, ctx.tenantId),
            eq(platformUsage.platform, platform),
            eq(platformUsage.month, month),
            lt(platformUsage.warnedLevel, level),
          ),
        )
        .returning({ level: platformUsage.warnedLevel })
      if (won) await warnAdmins(txCtx, { platform, level, usage: view }, present)
    }
    return view
  })
}

/**
 * The platform said the quota is spent: the tenant's sends wait until `until` (the month's end) instead of
 * failing, and the admins are told once (the card itself waits too when the platform refuses every send).
 */
export async function pausePlatformSends({
  ctx,
  input,
  present,
}: {
  ctx: ServiceContext
  input: PauseSendsInput
  present?: UsageWarningPresenter
}): Promise<PlatformUsageView> {
  const parsed = pauseSendsInput.safeParse(input)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new InvalidInputError(issue?.path.join('.') || 'pause', issue?.message ?? 'invalid pause')
  }
  const { platform, until, reason } = parsed.data
  const nowMs = ctx.clock.now().getTime()
  const month = quotaMonthOf(nowMs)
  return withTransaction(ctx, async (tx, txCtx) => {
    const [before] = await tx
      .select({ warnedLevel: platformUsage.warnedLevel })
      .from(platformUsage)
      .where(
        and(
          eq(platformUsage.tenantId, ctx.tenantId),
          eq(platformUsage.platform, platform),
          eq(platformUsage.month, month),
        ),
      )
      .for('update')
    const [row] = await tx
      .insert(platformUsage)
      .values({
        tenantId: ctx.tenantId,
        platform,
        month,
        pausedUntil: until,
        pauseReason: reason,
        warnedLevel: 100,
      })
      .onConflictDoUpdate({
        target: [platformUsage.tenantId, platformUsage.platform, platformUsage.month],
        set: { pausedUntil: until, pauseReason: reason, warnedLevel: 100, updatedAt: sql`now()` },
      })
      .returning()
    const view = usageView(platform, month, row, await quotaOf(txCtx, platform), nowMs)
    if ((before?.warnedLevel ?? 0) < 100)
      await warnAdmins(txCtx, { platform, level: 100, usage: view }, present)
    return view
  })
}
