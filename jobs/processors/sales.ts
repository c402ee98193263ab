import { and, eq } from 'drizzle-orm'
import { opportunityCard, paymentOverdueCard } from '../../bot/cards/sales-card'
import { sendCard } from '../../bot/domain/chat'
import { type ServiceContext, systemContext } from '../../bot/domain/context'
import {
  getOpportunity,
  listStageSets,
  OPPORTUNITY_ASSIGNED,
  OPPORTUNITY_SLIPPED,
  OPPORTUNITY_STALLED,
  refreshWinProbabilities,
  STALL_DAYS,
  scanStalled,
  tenantsWithOpenDeals,
} from '../../bot/domain/opportunities'
import {
  assessCustomerValues,
  CUSTOMER_VALUE_REFRESH,
  getOverdueReminder,
  PAYMENT_OVERDUE,
  scanOverdue,
  tenantsWithOverdue,
} from '../../bot/domain/payments'
import { customers, opportunities, users } from '../../db/schema'
import { processors } from '../catalogue'
import type { Processor } from '../queue'
import type { ProcessorDeps } from './types'

/** Hourly: overdue 回款 across tenants (or one tenant when named). */
export const OVERDUE_SCAN = 'sales.payments.overdue_scan'
/** Nightly: customer value tiers (RFM + engagement) across tenants. */
export const VALUE_ASSESS = 'sales.customer_value.assess'
/** Daily: stalled opportunities across tenants. */
export const STALL_SCAN = 'sales.opportunities.stall_scan'
/** Nightly: relearn each tenant's win model from its closed deals and reassess open ones. */
export const WIN_REFRESH = 'sales.opportunities.win_refresh'

const systemCtx = (deps: ProcessorDeps, tenantId: string, reason: string): ServiceContext =>
  systemContext({ db: deps.database.db, clock: deps.clock, logger: deps.logger }, { tenantId, reason })

async function localeOf(ctx: ServiceContext, userId: string): Promise<'zh-CN' | 'en'> {
  const [u] = await ctx.db
    .select({ locale: users.locale })
    .from(users)
    .where(and(eq(users.tenantId, ctx.tenantId), eq(users.id, userId)))
  return u?.locale === 'en' ? 'en' : 'zh-CN'
}

/** An opportunity card to its owner headed by `note(locale)` (assigned, stalled, slipped). */
async function dealCardToOwner(
  ctx: ServiceContext,
  opportunityId: string,
  note: (locale: 'zh-CN' | 'en', o: { name: string }) => string,
): Promise<void> {
  const { opportunity } = await getOpportunity({ ctx, opportunityId })
  if (opportunity.status !== 'open') return
  const locale = await localeOf(ctx, opportunity.owner.id)
  const set = (await listStageSets({ ctx })).find((s) => s.id === opportunity.stageSetId)
  await sendCard(ctx, {
    to: { userId: opportunity.owner.id },
    card: opportunityCard(opportunity, set, locale, note(locale, opportunity)),
  })
}

const zh = (locale: 'zh-CN' | 'en', a: string, b: string) => (locale === 'en' ? b : a)

/** Thin processors: parse the payload, call one verb, build the card with a presenter and send it. */
export function salesProcessors(deps: ProcessorDeps): Record<string, Processor> {
  return processors({
    [OVERDUE_SCAN]: async (payload) => {
      const only = typeof payload.tenantId === 'string' ? [payload.tenantId] : null
      const tenants = only ?? (await tenantsWithOverdue({ db: deps.database.db, clock: deps.clock }))
      for (const tenantId of tenants) {
        const r = await scanOverdue({ ctx: systemCtx(deps, tenantId, OVERDUE_SCAN) })
        if (r.found > 0) deps.logger.info({ tenantId, ...r }, 'overdue instalments found')
      }
    },
    [PAYMENT_OVERDUE]: async (payload) => {
      const ctx = systemCtx(deps, payload.tenantId, PAYMENT_OVERDUE)
      const reminder = await getOverdueReminder({ ctx, instalmentId: payload.instalmentId })
      if (!reminder) return
      for (const r of reminder.recipients) {
        await sendCard(ctx, {
          to: { userId: r.userId },
          card: paymentOverdueCard(reminder, r.locale, r.role),
        })
      }
    },
    [CUSTOMER_VALUE_REFRESH]: async (payload) => {
      const ctx = systemCtx(deps, payload.tenantId, CUSTOMER_VALUE_REFRESH)
      await assessCustomerValues({ ctx, customerIds: [payload.customerId] })
    },
    [VALUE_ASSESS]: async (payload) => {
      const only = typeof payload.tenantId === 'string' ? [payload.tenantId] : null
      const tenants =
        only ??
        (await deps.database.db.selectDistinct({ id: customers.tenantId }).from(customers)).map((r) => r.id)
      for (const tenantId of tenants)
        await assessCustomerValues({ ctx: systemCtx(deps, tenantId, VALUE_ASSESS) })
    },
    [STALL_SCAN]: async (payload) => {
      const only = typeof payload.tenantId === 'string' ? [payload.tenantId] : null
      const tenants = only ?? (await tenantsWithOpenDeals({ db: deps.database.db, clock: deps.clock }))
      for (const tenantId of tenants) await scanStalled({ ctx: systemCtx(deps, tenantId, STALL_SCAN) })
    },
    [WIN_REFRESH]: async (payload) => {
      const only = typeof payload.tenantId === 'string' ? [payload.tenantId] : null
      const tenants =
        only ??
        (
          await deps.database.db
            .selectDistinct({ id: opportunities.tenantId })
            .from(opportunities)
            .where(eq(opportunities.status, 'open'))
        ).map((r) => r.id)
      for (const tenantId of tenants)
        await refreshWinProbabilities({ ctx: systemCtx(deps, tenantId, WIN_REFRESH) })
    },
    [OPPORTUNITY_STALLED]: async (payload) => {
      const ctx = systemCtx(deps, payload.tenantId, OPPORTUNITY_STALLED)
      await dealCardToOwner(ctx, payload.opportunityId, (l) =>
        zh(
          l,
          `⏸ 该商机已 ${STALL_DAYS} 天没有进展，跟进一下吧。`,
          `⏸ No activity for ${STALL_DAYS} days: time to follow up.`,
        ),
      )
    },
    [OPPORTUNITY_ASSIGNED]: async (payload) => {
      const ctx = systemCtx(deps, payload.tenantId, OPPORTUNITY_ASSIGNED)
      await dealCardToOwner(ctx, payload.opportunityId, (l) =>
        zh(l, '📌 这个商机分配给了你。', '📌 This deal was assigned to you.'),
      )
    },
    [OPPORTUNITY_SLIPPED]: async (payload) => {
      const ctx = systemCtx(deps, payload.tenantId, OPPORTUNITY_SLIPPED)
      const from = payload.from
      const to = payload.to
      await dealCardToOwner(ctx, payload.opportunityId, (l) =>
        zh(l, `📅 预计成交日期从 ${from} 推迟到 ${to}。`, `📅 Expected close moved from ${from} to ${to}.`),
      )
    },
  })
}
