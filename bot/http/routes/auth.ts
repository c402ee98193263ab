import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { sql } from 'drizzle-orm'
import { userContext } from '../../domain/context'
import { DomainError } from '../../domain/errors'
import { getMe, setMyTimeZone, signIn } from '../../domain/org'
import { devchatEnabled } from '../../env'
import { verifyToken } from '../../lib/session-token'
import { bootstrapActor } from '../../platforms/bootstrap'
import { apiContext, requireSession } from '../middleware/session'
import { ErrorSchema } from '../schemas'
import type { AppEnv } from '../types'

export const UserSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    enName: z.string().nullable(),
    avatarUrl: z.string().nullable(),
    jobTitle: z.string().nullable(),
    locale: z.enum(['zh-CN', 'en']),
    departmentId: z.string().nullable(),
    departmentName: z.string().nullable(),
    roles: z.array(z.string()),
    permissions: z
      .array(z.string())
      .openapi({ description: 'Named permissions held through roles (`*` = all)' }),
    scope: z.enum(['self', 'department', 'department_tree', 'all']),
    timeZone: z.string().openapi({
      description:
        'IANA zone times are shown in (the person’s own choice, else the directory’s zone, else the tenant setting)',
    }),
    timeZoneSource: z.enum(['own', 'directory', 'company']).openapi({
      description:
        'Where `timeZone` comes from: chosen in the app (`PUT /me/time-zone`), the platform directory, or the company',
    }),
    companyTimeZone: z
      .string()
      .openapi({ description: 'The tenant’s zone, what following the company means' }),
  })
  .openapi('User')

const SessionSchema = z
  .object({ token: z.string(), expiresAt: z.string(), user: UserSchema })
  .openapi('Session')

const login = createRoute({
  method: 'post',
  path: '/auth/{platform}',
  tags: ['auth'],
  summary: 'Exchange a platform login code for a session',
  description:
    'Feishu: the code from tt.requestAccess / tt.requestAuthCode or the web OAuth redirect. devchat: the one-time code the simulator puts in the mini-app URL.',
  request: {
    params: z.object({ platform: z.enum(['feishu', 'dingtalk', 'devchat']) }),
    body: { content: { 'application/json': { schema: z.object({ code: z.string().min(1).max(4096) }) } } },
  },
  responses: {
    200: { description: 'signed in', content: { 'application/json': { schema: SessionSchema } } },
    400: { description: 'bad input', content: { 'application/json': { schema: ErrorSchema } } },
    401: { description: 'invalid or used code', content: { 'application/json': { schema: ErrorSchema } } },
    403: {
      description: 'not in the directory (on a new tenant the person is fetched from the platform first)',
      content: { 'application/json': { schema: ErrorSchema } },
    },
  },
})

const me = createRoute({
  method: 'get',
  path: '/me',
  tags: ['auth'],
  summary: 'The signed-in user',
  security: [{ session: [] }],
  middleware: [requireSession] as const,
  responses: {
    200: { description: 'me', content: { 'application/json': { schema: UserSchema } } },
    401: { description: 'no session', content: { 'application/json': { schema: ErrorSchema } } },
  },
})

const setTimeZone = createRoute({
  method: 'put',
  path: '/me/time-zone',
  tags: ['auth'],
  summary: 'Set one’s own time zone, or follow the company’s',
  description:
    'An IANA zone name (`Europe/Berlin`), or `null` to follow the company’s zone whatever the directory says. Directory syncs do not change it. Answers the updated user.',
  security: [{ session: [] }],
  middleware: [requireSession] as const,
  request: {
    body: {
      content: {
        'application/json': {
          schema: z.object({
            timeZone: z.string().min(1).max(64).nullable().openapi({ example: 'Asia/Shanghai' }),
          }),
        },
      },
    },
  },
  responses: {
    200: { description: 'updated', content: { 'application/json': { schema: UserSchema } } },
    400: {
      description: 'not an IANA zone (`error.field`: `timeZone`)',
      content: { 'application/json': { schema: ErrorSchema } },
    },
    401: { description: 'no session', content: { 'application/json': { schema: ErrorSchema } } },
  },
})

type Me = Awaited<ReturnType<typeof getMe>>
export const toUserDto = (m: Me): z.infer<typeof UserSchema> => ({
  id: m.id,
  name: m.name,
  enName: m.enName,
  avatarUrl: m.avatarUrl,
  jobTitle: m.jobTitle,
  locale: m.locale,
  departmentId: m.department?.id ?? null,
  departmentName: m.department?.name ?? null,
  roles: m.roles.map((r) => r.key),
  permissions: m.permissions,
  scope: m.scope as z.infer<typeof UserSchema>['scope'],
  timeZone: m.timeZone,
  timeZoneSource: m.timeZoneSource,
  companyTimeZone: m.companyTimeZone,
})

export function authRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>()
  app.openapi(login, async (c) => {
    const { platform } = c.req.valid('param')
    const { code } = c.req.valid('json')
    const deps = c.get('deps')
    const now = Math.floor(deps.clock.now().getTime() / 1000)
    let identity: { tenantKey: string; openId: string }
    if (platform === 'devchat') {
      // Devchat codes are only honoured where devchat runs: a production that shares SESSION_SECRET with a
      // staging one must not accept codes minted there.
      if (!devchatEnabled(deps.env)) throw new DomainError('not_found', 'devchat login is not enabled')
      const claims = await verifyToken(deps.sessionSecret, code, 'login', now)
      if (!claims) throw new DomainError('unauthenticated', 'login code is invalid or expired')
      // One-time: the code's id is claimed atomically, like an inbound event.
      const claimed = await deps.database.rows(sql`
        insert into inbound_events (platform, event_id) values ('devchat-login', ${claims.j})
        on conflict do nothing returning 1`)
      if (claimed.length === 0) throw new DomainError('unauthenticated', 'login code was already used')
      identity = { tenantKey: claims.t, openId: claims.u }
    } else {
      const exchange = deps.loginExchangers?.[platform]
      if (!exchange) throw new DomainError('not_found', `${platform} login is not configured`)
      identity = await exchange(code)
      // First contact: a tenant never seen, or a person the directory does not have yet.
      await bootstrapActor(
        {
          database: deps.database,
          logger: c.get('logger'),
          clock: deps.clock,
          ...(deps.platforms ? { platforms: deps.platforms } : {}),
          bootstrapAdmins: deps.env.FLOWCARD_ADMINS,
        },
        { platform, ...identity },
      )
    }
    const session = await signIn(deps.database, deps.sessionSecret, { platform, ...identity }, now)
    const user = await getMe({
      ctx: userContext(
        { db: deps.database.db, clock: deps.clock, logger: c.get('logger') },
        { tenantId: session.tenantId, userId: session.userId, via: 'miniapp' },
      ),
    })
    return c.json({ token: session.token, expiresAt: session.expiresAt, user: toUserDto(user) }, 200)
  })
  app.openapi(me, async (c) => c.json(toUserDto(await getMe({ ctx: apiContext(c) })), 200))
  app.openapi(setTimeZone, async (c) => {
    const ctx = apiContext(c)
    await setMyTimeZone({ ctx, input: c.req.valid('json') })
    return c.json(toUserDto(await getMe({ ctx })), 200)
  })
  return app
}
