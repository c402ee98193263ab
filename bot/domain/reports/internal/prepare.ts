import { and, eq } from 'drizzle-orm'
import { users } from '../../../../db/schema'
import type { ServiceContext } from '../../context'
import { InvalidInputError, NotFoundError } from '../../errors'
import { loadActorScope } from '../../org/data-scope'
import { tenantTimeZone } from '../../org/time-zone'
import type { ReportQuery } from '../schemas'
import { reportByKey } from './catalog'
import type { ReportDefinition, ReportLocale, RunEnv } from './define'
import { periodOf } from './filters'

/** The caller's language for labels: the one the request reads in, else the one they chose (app or chat). */
export async function actorLocale(ctx: ServiceContext): Promise<ReportLocale> {
  if (ctx.locale) return ctx.locale
  if (ctx.actor.kind !== 'user') return 'zh-CN'
  const [u] = await ctx.db
    .select({ locale: users.locale })
    .from(users)
    .where(and(eq(users.tenantId, ctx.tenantId), eq(users.id, ctx.actor.userId)))
  return u?.locale === 'en' ? 'en' : 'zh-CN'
}

/** The report and everything a run needs; an unknown report is 404, an unknown dimension 400. */
export async function prepareRun(
  ctx: ServiceContext,
  key: string,
  q: ReportQuery,
  reference = false,
): Promise<{ report: ReportDefinition; env: RunEnv }> {
  const report = reportByKey.get(key)
  if (!report) throw new NotFoundError('report', key)
  const dimension = q.dimension ? report.dimensions.find((d) => d.key === q.dimension) : report.dimensions[0]
  if (!dimension)
    throw new InvalidInputError(
      'dimension',
      `report ${key} groups by ${report.dimensions.map((d) => d.key).join(', ')}`,
    )
  if (q.provinceCode && dimension.key !== 'city')
    throw new InvalidInputError(
      'provinceCode',
      'a province code drills the map down to its cities (dimension=city)',
    )
  if (q.channelId && !report.filters?.includes('channelId'))
    throw new InvalidInputError('channelId', `report ${key} has no channel filter`)
  const [scope, locale, zone] = await Promise.all([
    loadActorScope(ctx),
    actorLocale(ctx),
    tenantTimeZone(ctx),
  ])
  const period = periodOf(q, zone)
  return { report, env: { q, period, dimension, scope, locale, reference } }
}
