import { swaggerUI } from '@hono/swagger-ui'
import { OpenAPIHono } from '@hono/zod-openapi'
import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { requestId } from 'hono/request-id'
import { matchedRoutes } from 'hono/route'
import { secureHeaders } from 'hono/secure-headers'
import { MAX_PUBLIC_PHOTOS, MAX_TICKET_PHOTO_BYTES } from './domain/service'
import { devchatEnabled } from './env'
import { errorBody, onError, zodErrorResponse } from './http/errors'
import { clientAddress, HTTP_RATES, rateLimit } from './http/middleware/rate-limit'
import { adminRoutes } from './http/routes/admin'
import { adminQueueRoutes } from './http/routes/admin-queue'
import { approvalRoutes } from './http/routes/approvals'
import { documentApprovalWebhooks, externalApprovalRoutes } from './http/routes/approvals-external'
import { approvalFileRoutes } from './http/routes/approvals-files'
import { authRoutes } from './http/routes/auth'
import { crmRoutes } from './http/routes/crm'
import { healthRoutes } from './http/routes/health'
import { homeRoutes } from './http/routes/home'
import { leadIntakeRoutes } from './http/routes/lead-intake'
import { leadRoutes } from './http/routes/leads'
import { noticeRoutes } from './http/routes/notices'
import { orgRoutes } from './http/routes/org'
import { platformUsageRoutes } from './http/routes/platform-usage'
import { reportRoutes } from './http/routes/reports'
import { salesRoutes } from './http/routes/sales'
import { salesExternalRoutes } from './http/routes/sales-external'
import { serviceRoutes } from './http/routes/service'
import { servicePublicRoutes } from './http/routes/service-public'
import type { AppDeps, AppEnv } from './http/types'
import { findUnsafeString } from './lib/safe-strings'
import { installSecretKeys, keyringOf, parseEncryptionKeys, secretKeysInstalled } from './lib/secret-box'
import { DEVCHAT_PAGE } from './platforms/devchat/page'
import { devchatRoutes } from './platforms/devchat/routes'
import { dingtalkRoutes } from './platforms/dingtalk/routes'
import { feishuRoutes } from './platforms/feishu/routes'

export type { AppDeps } from './http/types'

/** API bodies are small JSON; imports and uploads get their own limits on their routes. */
const API_BODY_LIMIT = 1024 * 1024
/** CSV/XLSX imports (the import itself caps rows). */
const IMPORT_BODY_LIMIT = 20 * 1024 * 1024
/** One visit photo. */
const PHOTO_BODY_LIMIT = 10 * 1024 * 1024
/** The public service form (`POST /s/…`): three photos of 5 MB and the text fields. */
const SERVICE_FORM_BODY_LIMIT = MAX_PUBLIC_PHOTOS * MAX_TICKET_PHOTO_BYTES + 64 * 1024
/** One approval attachment. */
const APPROVAL_FILE_BODY_LIMIT = 20 * 1024 * 1024

/**
 * The route pattern that answered (`/api/v1/crm/customers/:id`), never the raw path, so metric labels stay
 * few; `unmatched` for a 404 without a route.
 */
export function routeLabel(c: Context): string {
  const routes = matchedRoutes(c)
  for (let i = routes.length - 1; i >= 0; i--) {
    const r = routes[i]
    if (r && r.method !== 'ALL') return r.path
  }
  return 'unmatched'
}

/**
 * Builds the Hono app from its dependencies: middleware, the one error mapper, and the route mounts.
 * No runtime code here: `bot/entry/*` decides which database, queue and platforms to pass in.
 */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  useSecretKeys(deps)
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) return zodErrorResponse(c, result.error)
      const unsafe = findUnsafeString(result.data)
      if (unsafe) {
        const field = unsafe.field || result.target
        return c.json(errorBody(c, 'invalid_input', `${field}: ${unsafe.reason}`, { field }), 400)
      }
    },
  })

  app.use('*', requestId({ headerName: 'x-request-id' }))
  app.use('*', async (c, next) => {
    c.set('deps', deps)
    const logger = deps.logger.child({ requestId: c.get('requestId') })
    c.set('logger', logger)
    const started = performance.now()
    await next()
    const elapsed = performance.now() - started
    deps.metrics?.httpRequest(routeLabel(c), c.req.method, c.res.status, elapsed / 1000)
    const ms = Math.round(elapsed * 10) / 10
    if (c.res.status >= 500)
      logger.error({ method: c.req.method, path: c.req.path, status: c.res.status, ms }, 'request')
    else logger.debug({ method: c.req.method, path: c.req.path, status: c.res.status, ms }, 'request')
  })
  app.use('/api/*', secureHeaders())
  /**
   * hono's bodyLimit first reads `c.req.raw.body`, which makes @hono/node-server build a full web Request
   * (a stream over the socket) for every request, GETs included (~0.1 ms of CPU each on the intake bench).
   * A GET or HEAD has no body, and a Content-Length without chunked encoding decides alone, as in bodyLimit
   * itself; the body is then read later through the server's fast path. Other requests go through bodyLimit.
   */
  const limitOf = (maxSize: number): MiddlewareHandler => {
    const tooLarge = (c: Context) =>
      c.json(errorBody(c, 'payload_too_large', `body exceeds ${maxSize} bytes`), 413)
    const limit = bodyLimit({ maxSize, onError: tooLarge })
    return (c, next) => {
      const method = c.req.method
      if (method === 'GET' || method === 'HEAD') return next()
      const length = c.req.header('content-length')
      if (length !== undefined && c.req.header('transfer-encoding') === undefined)
        return Number.parseInt(length, 10) > maxSize ? Promise.resolve(tooLarge(c)) : next()
      return limit(c, next)
    }
  }
  const apiLimit = limitOf(API_BODY_LIMIT)
  const importLimit = limitOf(IMPORT_BODY_LIMIT)
  const photoLimit = limitOf(PHOTO_BODY_LIMIT)
  const approvalFileLimit = limitOf(APPROVAL_FILE_BODY_LIMIT)
  app.use('/api/*', (c, next) => {
    const path = c.req.path
    if (path === '/api/v1/crm/imports') return importLimit(c, next)
    if (/^\/api\/v1\/crm\/visits\/[^/]+\/photos$/.test(path) || path === '/api/v1/service/photos')
      return photoLimit(c, next)
    if (path === '/api/v1/approvals/files') return approvalFileLimit(c, next)
    return apiLimit(c, next)
  })
  // Web-form submissions are a few short fields.
  app.use('/f/*', limitOf(64 * 1024))
  // The public service form: a few short fields and up to three photos. A declared length is checked without
  // touching the body (the route reads it straight from the socket); a chunked body is counted as it streams.
  const serviceFormLimit = limitOf(SERVICE_FORM_BODY_LIMIT)
  app.use('/s/*', (c, next) => {
    if (c.req.method !== 'POST') return next()
    const length = c.req.header('content-length')
    if (length !== undefined && c.req.header('transfer-encoding') === undefined)
      return Number(length) > SERVICE_FORM_BODY_LIMIT
        ? Promise.resolve(
            c.json(errorBody(c, 'payload_too_large', `body exceeds ${SERVICE_FORM_BODY_LIMIT} bytes`), 413),
          )
        : next()
    return serviceFormLimit(c, next)
  })

  // Login attempts spend the app's Open API quota; signed external calls are verified with HMACs: both budgeted
  // per caller address before any work (plus an overall budget per login platform).
  app.use(
    '/api/v1/auth/:platform',
    rateLimit('login', (c) => [
      { key: clientAddress(c), rate: HTTP_RATES.loginPerClient },
      { key: `platform:${c.req.param('platform')?.slice(0, 20)}`, rate: HTTP_RATES.loginPerPlatform },
    ]),
  )
  app.use(
    '/api/v1/external/*',
    rateLimit('external', (c) => [
      {
        key: `${c.req.header('x-flowcard-system')?.slice(0, 64) ?? '-'}:${clientAddress(c)}`,
        rate: HTTP_RATES.external,
      },
    ]),
  )

  app.onError(onError)
  app.notFound((c) => c.json(errorBody(c, 'not_found', `no route for ${c.req.method} ${c.req.path}`), 404))

  app.get('/favicon.ico', (c) => c.body(null, 204))
  app.route('/', healthRoutes())
  app.route('/api/v1', authRoutes())
  app.route('/api/v1', orgRoutes())
  app.route('/api/v1', homeRoutes())
  app.route('/api/v1', crmRoutes({ storage: deps.storage }))
  app.route('/api/v1', salesRoutes())
  app.route('/api/v1', salesExternalRoutes())
  app.route('/api/v1', leadRoutes())
  app.route('/', leadIntakeRoutes())
  app.route('/api/v1', serviceRoutes())
  app.route('/', servicePublicRoutes())
  app.route('/api/v1', approvalRoutes())
  app.route('/api/v1', externalApprovalRoutes())
  app.route('/api/v1', approvalFileRoutes({ storage: deps.storage }))
  app.route('/api/v1', noticeRoutes())
  app.route('/api/v1', reportRoutes())
  app.route('/api/v1', platformUsageRoutes())
  app.route('/api/v1', adminRoutes())
  app.route('/api/v1', adminQueueRoutes())
  if (deps.feishu)
    app.route(
      '/',
      feishuRoutes({ ...deps.feishu, database: deps.database, logger: deps.logger, clock: deps.clock }),
    )
  if (deps.dingtalk)
    app.route(
      '/',
      dingtalkRoutes({ ...deps.dingtalk, database: deps.database, logger: deps.logger, clock: deps.clock }),
    )
  if (devchatEnabled(deps.env)) {
    app.get('/devchat', (c) => c.redirect('/devchat/'))
    app.get('/devchat/', (c) => c.html(DEVCHAT_PAGE))
    app.route(
      '/devchat',
      devchatRoutes({
        database: deps.database,
        logger: deps.logger,
        clock: deps.clock,
        sessionSecret: deps.sessionSecret,
      }),
    )
  }

  documentApprovalWebhooks(app)
  app.openAPIRegistry.registerComponent('securitySchemes', 'session', {
    type: 'http',
    scheme: 'bearer',
    description: 'Session token from POST /api/v1/auth/{platform}',
  })
  app.doc31('/api/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'flowcard API',
      version: '1',
      description: 'OA approvals, notices and CRM inside Feishu/Lark and DingTalk. 审批、公告与 CRM。',
    },
    servers: [{ url: deps.env.PUBLIC_URL ?? '/' }],
  })
  app.get(
    '/api/docs',
    swaggerUI({ url: '/api/openapi.json', baseUrl: '/api/docs/assets', title: 'flowcard API' }),
  )
  return app
}

/**
 * Stored secrets need a keyring: `ENCRYPTION_KEYS` when set (always in production), else the one the Node
 * boot installed (a key kept in DATA_DIR). A process with neither (a test app, `wrangler dev`) gets a key
 * of its own for its lifetime, which cannot open what another process sealed: said loudly.
 */
function useSecretKeys(deps: AppDeps): void {
  if (deps.env.ENCRYPTION_KEYS) {
    const ring = parseEncryptionKeys(deps.env.ENCRYPTION_KEYS)
    if (typeof ring !== 'string') installSecretKeys(ring)
  } else if (!secretKeysInstalled()) {
    const raw = new Uint8Array(new ArrayBuffer(32))
    crypto.getRandomValues(raw)
    installSecretKeys(keyringOf('ephemeral', raw))
    deps.logger.warn(
      'ENCRYPTION_KEYS is not set: stored secrets are sealed with a key that lives only as long as this process',
    )
  }
}
