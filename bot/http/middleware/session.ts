import { and, eq } from 'drizzle-orm'
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { ownTimeZone, users } from '../../../db/schema'
import { type ServiceContext, userContext } from '../../domain/context'
import { tenantTimeZone } from '../../domain/org'
import { verifyToken } from '../../lib/session-token'
import { isTimeZone } from '../../lib/time-zone'
import { errorBody } from '../errors'
import type { AppEnv } from '../types'

/**
 * Requires `Authorization: Bearer <session token>` on every call, and that the user is still active in the
 * token's tenant (a user who left loses access at once, not at token expiry).
 */
export const requireSession = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header('authorization') ?? ''
  const token = header.startsWith('Bearer ') ? header.slice(7).trim() : ''
  if (!token) return c.json(errorBody(c, 'unauthenticated', 'missing bearer session token'), 401)
  const deps = c.get('deps')
  const claims = await verifyToken(deps.sessionSecret, token, 'session')
  if (!claims) return c.json(errorBody(c, 'unauthenticated', 'session token is invalid or expired'), 401)
  const [user] = await deps.database.db
    .select({ id: users.id, status: users.status, locale: users.locale, ownTimeZone })
    .from(users)
    .where(and(eq(users.tenantId, claims.t), eq(users.id, claims.u)))
  if (user?.status !== 'active') {
    return c.json(errorBody(c, 'unauthenticated', 'this account is no longer active'), 401)
  }
  c.set('session', {
    tenantId: claims.t,
    userId: claims.u,
    platform: claims.p,
    locale: user.locale === 'en' ? 'en' : 'zh-CN',
    ownTimeZone: user.ownTimeZone && isTimeZone(user.ownTimeZone) ? user.ownTimeZone : null,
  })
  await next()
})

/** The domain context of an authenticated API call. */
export function apiContext(c: Context<AppEnv>): ServiceContext {
  const session = c.get('session')
  if (!session) throw new Error('apiContext used on a route without requireSession')
  const deps = c.get('deps')
  return userContext(
    { db: deps.database.db, clock: deps.clock, logger: c.get('logger') },
    { tenantId: session.tenantId, userId: session.userId, via: 'miniapp', locale: readerLocale(c) },
  )
}

/**
 * The language the caller reads in: the mini-app's own setting (sent as `Accept-Language` on every call, so a
 * switch in the app applies at once), else the account's.
 */
export function readerLocale(c: Context<AppEnv>): 'zh-CN' | 'en' {
  const header = (c.req.header('accept-language') ?? '').trim().toLowerCase()
  if (header.startsWith('en')) return 'en'
  if (header.startsWith('zh')) return 'zh-CN'
  return c.get('session')?.locale ?? 'zh-CN'
}

/** The zone the caller reads times in: their own (chosen or from the directory), else the company's. */
export async function readerTimeZone(c: Context<AppEnv>): Promise<string> {
  const own = c.get('session')?.ownTimeZone
  return own ?? (await tenantTimeZone(apiContext(c)))
}
