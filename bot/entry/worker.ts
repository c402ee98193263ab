import { AsyncLocalStorage } from 'node:async_hooks'
import type { ExecutionContext } from 'hono'
import type { Database } from '../../db/client'
import { openPostgres } from '../../db/postgres'
import { scopedDatabase } from '../../db/scoped'
import { OutboxQueue } from '../../jobs/drivers/outbox'
import { createApp } from '../app'
import type { InboundEvent } from '../chat/model'
import { type Env, EnvError, hasS3, parseEnv } from '../env'
import { systemClock } from '../lib/clock'
import { createLogger } from '../lib/logger'
import { createS3Storage, s3ConfigFromEnv } from '../lib/storage/s3'
import { feishuConfigOf } from '../platforms/feishu/config'
import { createFeishuEdge } from '../platforms/feishu/edge'
import { ingestEvent } from '../platforms/ingest'
import { appContentSecurityPolicy, appIndexHtml } from './app-index'

/**
 * The Cloudflare Workers entry: the HTTP side only (Feishu HTTP callbacks, the `/api/v1` mini-app API,
 * health, the mini-app from Workers static assets). PostgreSQL through Hyperdrive and postgres.js; no jobs
 * here: requests write outbox rows, and a Node jobs process (`jobs/worker.ts`) relays and works them.
 *
 * The environment is parsed on every request (Workers hand it to `fetch`, not to the module). The app is
 * built once per isolate and configuration; the database is not: each request gets its own postgres.js
 * client over Hyperdrive's connection string (the runtime does not let one request use a socket another
 * request opened, and Hyperdrive keeps the real pool, so a client per request is the documented pattern),
 * put in scope for the app with AsyncLocalStorage and ended after the response.
 */

/** The Hyperdrive binding (only what we use of it). */
interface Hyperdrive {
  readonly connectionString: string
}

/** The static-assets binding (`[assets] binding = "ASSETS"`). */
interface AssetsFetcher {
  fetch(request: Request): Promise<Response>
}

/** Bindings and `[vars]`/secrets as the runtime hands them to `fetch`. */
export type WorkerBindings = {
  HYPERDRIVE?: Hyperdrive
  ASSETS?: AssetsFetcher
} & Record<string, unknown>

/** Pool size per request: Workers allow six simultaneous open connections per request. */
const MAX_CONNECTIONS = 5

/** The postgres.js client of the request being handled (see {@link scopedDatabase}). */
const requestDatabase = new AsyncLocalStorage<Database>()
const database = scopedDatabase(() => {
  const current = requestDatabase.getStore()
  if (!current) throw new Error('no request database in scope (used outside a request)')
  return current
})

/** What is kept per isolate, rebuilt when the configuration it was built from changes. */
interface IsolateState {
  key: string
  app: ReturnType<typeof createApp>
}
let isolate: IsolateState | null = null

const json = (status: number, code: string, message: string): Response =>
  new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  })

/** The string variables among the bindings (`[vars]` and secrets); objects are bindings. */
function variablesOf(bindings: WorkerBindings): Record<string, string> {
  const vars: Record<string, string> = {}
  for (const [k, v] of Object.entries(bindings)) if (typeof v === 'string') vars[k] = v
  return vars
}

/**
 * The app of this isolate for this configuration. Built once (building the routes and their OpenAPI
 * schemas costs far more CPU than serving a request); everything in it that holds no socket stays too: the
 * logger, the Feishu tenant token and bot open_id.
 */
function isolateApp(env: Env & { SESSION_SECRET: string }, vars: Record<string, string>) {
  const key = JSON.stringify(vars)
  if (isolate?.key === key) return isolate.app
  const logger = createLogger(env.LOG_LEVEL, 'flowcard', false)
  const config = feishuConfigOf(env)
  const feishu = config ? createFeishuEdge(config, logger) : null
  const app = createApp({
    env,
    database,
    queue: new OutboxQueue(database),
    logger,
    clock: systemClock,
    sessionSecret: env.SESSION_SECRET,
    // Photos need S3 here (no disk); without it the upload route answers 400 naming the field.
    ...(hasS3(env) ? { storage: createS3Storage(s3ConfigFromEnv(env)) } : {}),
    ...(feishu
      ? {
          // One statement per event on the request's own connection (the Node routes' group commit would
          // batch events of several requests onto one request's socket).
          feishu: { ...feishu.inbound, ingest: (event: InboundEvent) => ingestEvent(database.db, event) },
          loginExchangers: { feishu: feishu.exchangeLoginCode },
          // First contact reads the person and the app admins over fetch, so a login on a brand-new
          // tenant signs in here as it does on Node.
          platforms: { has: (name) => name === 'feishu', get: () => feishu.directory },
        }
      : {}),
  })
  isolate = { key, app }
  return app
}

async function handle(request: Request, bindings: WorkerBindings, ctx: ExecutionContext): Promise<Response> {
  // Parsed on every request: Workers hand the variables to `fetch`, not to the module.
  const vars = variablesOf(bindings)
  let env: Env
  try {
    env = parseEnv(vars)
  } catch (err) {
    if (!(err instanceof EnvError)) throw err
    // The problems name variables and rules, never values; they go to the log, not to the caller.
    console.error(JSON.stringify({ level: 50, msg: 'invalid configuration', problems: err.problems }))
    return json(500, 'misconfigured', 'invalid configuration: see the Worker log')
  }
  const hyperdrive = bindings.HYPERDRIVE
  if (!hyperdrive || typeof hyperdrive.connectionString !== 'string') {
    return json(500, 'misconfigured', 'the HYPERDRIVE binding is missing (wrangler.toml [[hyperdrive]])')
  }
  const sessionSecret = env.SESSION_SECRET
  if (!sessionSecret) {
    return json(500, 'misconfigured', 'SESSION_SECRET is required on Workers (wrangler secret put)')
  }
  const url = new URL(request.url)
  if (bindings.ASSETS && (url.pathname === '/app' || url.pathname.startsWith('/app/'))) {
    return serveApp(request, url, bindings.ASSETS, env)
  }
  const app = isolateApp({ ...env, SESSION_SECRET: sessionSecret }, vars)
  // postgres.js connects on the first query, so requests that need no database open nothing.
  const own = openPostgres(hyperdrive.connectionString, {
    max: MAX_CONNECTIONS,
    listen: false,
    prepare: false,
  })
  try {
    return await requestDatabase.run(own, () => app.fetch(request, bindings, ctx))
  } finally {
    // postgres.js ends gracefully: queries still running finish first.
    ctx.waitUntil(own.close())
  }
}

/**
 * `/app/*` from the static assets (`miniapp/dist`, built with base `/app/`): hashed files as they are,
 * cached for a year; any other path gets index.html with the runtime settings, so deep links work.
 */
async function serveApp(request: Request, url: URL, assets: AssetsFetcher, env: Env): Promise<Response> {
  if (url.pathname === '/app') return Response.redirect(new URL('/app/', url).toString(), 302)
  const inner = url.pathname.slice('/app'.length)
  if (inner.startsWith('/assets/')) {
    const res = await assets.fetch(new Request(new URL(inner, url), request))
    if (res.status !== 200) return new Response('not found', { status: 404 })
    const out = new Response(res.body, res)
    out.headers.set('cache-control', 'public, max-age=31536000, immutable')
    return out
  }
  const index = await assets.fetch(new Request(new URL('/index.html', url)))
  if (index.status !== 200) {
    await index.body?.cancel()
    return json(503, 'not_built', 'the mini-app is not built (npm run build -w miniapp)')
  }
  const html = appIndexHtml(await index.text(), env)
  return new Response(html, {
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
      'content-security-policy': await appContentSecurityPolicy(html),
      'x-content-type-options': 'nosniff',
    },
  })
}

export default {
  fetch(request: Request, bindings: WorkerBindings, ctx: ExecutionContext): Promise<Response> {
    return handle(request, bindings, ctx)
  },
}
