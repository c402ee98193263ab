import type { AddressInfo } from 'node:net'
import { availableParallelism } from 'node:os'
import { resolve } from 'node:path'
import { analyzeStaleEmbedded, warmEmbeddedCatalog } from '../../db/client'
import { reportLoopDelay } from '../../jobs/backpressure'
import { bootRuntime } from '../../jobs/runtime'
import { JobsSupervisor, SupervisedQueue } from '../../jobs/supervisor'
import { createApp } from '../app'
import { hasDingtalk, hasFeishu, hasS3, jobsMode, listenHost } from '../env'
import { bootPhase, bootPhases } from '../lib/boot-phases'
import { createLogger } from '../lib/logger'
import type { DingtalkStream } from '../platforms/dingtalk/stream'
import type { FeishuLongConnection } from '../platforms/feishu/ws'
import { IngestBatcher } from '../platforms/ingest-batch'
import { createRateLimiter } from '../platforms/rate-limit'
import { envOrExit } from './env-or-exit'
import { createNodeServer } from './node-server'
import { localSessionSecret } from './session-secret'
import { mountStatic } from './static'

/**
 * The Node process. HTTP (and the webhook fast path) always runs here. The outbox relay and the job workers
 * run, by JOBS_MODE: in child processes sized to the cores (the default with PostgreSQL and Redis, so
 * background work never takes the event loop a card tap needs), in this process (the embedded default and
 * tiny machines), or elsewhere (`npm run worker` on other hosts).
 */
bootPhase('load')
const started = performance.now()
const env = envOrExit()
const bootLogger = createLogger(env.LOG_LEVEL)
if ((hasFeishu(env) || hasDingtalk(env)) && env.NODE_ENV === undefined)
  bootLogger.warn(
    'a chat platform is configured but NODE_ENV is not set: set NODE_ENV=production for a real deployment (the production checks of SESSION_SECRET, DEVCHAT and WEBHOOK_PRIVATE_TARGETS run only then)',
  )
// The Feishu SDK costs ~0.5 s to load: only when Feishu is configured.
const feishu = hasFeishu(env)
  ? (await import('../platforms/feishu/wiring')).feishuFromEnv(env, bootLogger)
  : null
// DingTalk likewise only when configured (HTTP callbacks in webhook mode; the stream connection in stream mode).
const dingtalk = hasDingtalk(env)
  ? (await import('../platforms/dingtalk/wiring')).dingtalkFromEnv(env, bootLogger)
  : null
// Files go to the S3-compatible store when `S3_*` is set, else to local disk; each driver loads only when used.
const storage = hasS3(env)
  ? await import('../lib/storage/s3').then((m) => m.createS3Storage(m.s3ConfigFromEnv(env)))
  : await import('./storage-local').then((m) => m.createLocalStorage(resolve(env.DATA_DIR, 'blobs')))
const mode = jobsMode(env)
bootPhase('platforms')
// Prometheus (and prom-client's load time) only when `/metrics` is on.
const metrics = env.METRICS_TOKEN ? new (await import('./prometheus')).PrometheusMetrics('http') : null
const runtime = await bootRuntime(env, {
  // Started once this process listens, so the relay's first pass does not hold up readiness.
  work: mode === 'inline' ? 'later' : false,
  logger: bootLogger,
  ...(metrics ? { metrics } : {}),
  platforms: [...(feishu ? [feishu.platform] : []), ...(dingtalk ? [dingtalk.platform] : [])],
})
const { logger } = runtime
// Forked after migrating and seeding, so children only connect.
const supervisor =
  mode === 'child'
    ? new JobsSupervisor({
        processes: env.JOBS_PROCESSES ?? Math.max(1, availableParallelism() - 1),
        niceness: env.JOBS_NICE,
        logger,
      })
    : null
supervisor?.start()
// The children's background work backs off while this loop (HTTP, card taps) is late.
const stopReporting = supervisor
  ? reportLoopDelay((ms) => supervisor.broadcast({ type: 'loop-delay', ms }))
  : () => {}
const queue = supervisor ? new SupervisedQueue(runtime.queue, supervisor) : runtime.queue
const dingtalkMeter = dingtalk?.useDatabase(runtime.database, runtime.clock, logger)
// One group-commit batcher for the webhook fast path and the Hono routes (and DingTalk's callbacks).
const ingestBatcher = new IngestBatcher(runtime.database.db, {
  ...(metrics ? { onAccepted: (e) => metrics.inboundEvent(e.platform, e.kind) } : {}),
})
const feishuInbound = feishu ? { ...feishu.inbound, ingest: ingestBatcher.ingest } : null
const app = createApp({
  env,
  database: runtime.database,
  queue,
  logger,
  clock: runtime.clock,
  sessionSecret: env.SESSION_SECRET ?? localSessionSecret(env.DATA_DIR),
  storage,
  // Shared through Redis when REDIS_URL is set, so every instance draws from one budget.
  rateLimiter: createRateLimiter(env.REDIS_URL),
  ...(metrics ? { metrics, onRateLimited: (name: string) => metrics.rateLimited(name) } : {}),
  platforms: runtime.platforms,
  ...(feishu && feishuInbound ? { feishu: feishuInbound } : {}),
  // In stream mode every push arrives over the stream: the HTTP callback routes are not mounted at all.
  ...(dingtalk?.mode === 'webhook'
    ? {
        dingtalk: {
          ...dingtalk.inbound,
          ingest: ingestBatcher.ingest,
          ...(dingtalkMeter ? { meter: dingtalkMeter } : {}),
        },
      }
    : {}),
  loginExchangers: {
    ...(feishu ? { feishu: feishu.exchangeLoginCode } : {}),
    ...(dingtalk?.exchangeLoginCode ? { dingtalk: dingtalk.exchangeLoginCode } : {}),
  },
})
let feishuWs: FeishuLongConnection | null = null
if (feishu?.mode === 'ws') {
  const { startFeishuLongConnection } = await import('../platforms/feishu/ws')
  feishuWs = await startFeishuLongConnection(
    { ...(feishuInbound ?? feishu.inbound), database: runtime.database, logger, clock: runtime.clock },
    feishu.platform.config,
    logger,
  )
}
let dingtalkStream: DingtalkStream | null = null
if (dingtalk?.mode === 'stream') {
  const { startDingtalkStream } = await import('../platforms/dingtalk/stream')
  dingtalkStream = await startDingtalkStream(
    {
      ...dingtalk.inbound,
      ingest: ingestBatcher.ingest,
      ...(dingtalkMeter ? { meter: dingtalkMeter } : {}),
      database: runtime.database,
      logger,
      clock: runtime.clock,
    },
    dingtalk.stream,
  )
}
if (metrics) {
  metrics.watch({ database: runtime.database, queue, poolMax: runtime.database.kind === 'postgres' ? 10 : 1 })
  const { metricsHandler } = await import('./prometheus')
  app.get(
    '/metrics',
    metricsHandler({
      token: env.METRICS_TOKEN,
      render: async () =>
        metrics.render(((await supervisor?.collectMetrics()) ?? []) as Parameters<typeof metrics.render>[0]),
    }),
  )
}
mountStatic(app, env)
bootPhase('app')

const feishuWebhook = feishuInbound
  ? (await import('../platforms/feishu/routes')).feishuWebhookHandler({
      ...feishuInbound,
      database: runtime.database,
      logger,
      clock: runtime.clock,
    })
  : undefined
const server = createNodeServer({
  fetch: app.fetch,
  logger,
  ...(feishuWebhook ? { feishuWebhook } : {}),
  ...(metrics ? { metrics } : {}),
})
server.listen(env.PORT, listenHost(env), () => {
  const info = server.address() as AddressInfo
  const base = env.PUBLIC_URL ?? `http://localhost:${info.port}`
  const ms = Math.round(performance.now() - started)
  bootPhase('listen')
  // Embedded: the catalog caches filled before the first requests need them, then the tables whose
  // statistics are missing or stale analyzed (PGlite has no autovacuum) — both in the background lane.
  warmEmbeddedCatalog(runtime.database)
    .then(async (tables) => {
      const analyzed = await analyzeStaleEmbedded(runtime.database)
      logger.debug({ tables, analyzed: analyzed.length }, 'embedded catalog warmed')
    })
    .catch((err) => logger.warn({ err }, 'warming the embedded catalog failed'))
  // Only in inline mode: with job children (or `JOBS_MODE=off`) this process runs no relay and no workers —
  // they would take the loop a card tap needs, and while a child is down its work waits for its restart.
  if (mode === 'inline')
    runtime.startWork().then(
      () => bootPhase('work'),
      (err) => {
        logger.fatal({ err }, 'the job workers did not start')
        process.exit(1)
      },
    )
  logger.info(
    {
      boot: bootPhases(),
      port: info.port,
      database: runtime.database.kind,
      queue: runtime.queue.kind,
      jobs: mode,
      storage: storage.kind,
      ms,
    },
    'flowcard is listening',
  )
  process.stdout.write(
    [
      '',
      `  flowcard 已启动 / is running  (${ms} ms, database: ${runtime.database.kind}, jobs: ${runtime.queue.kind} ${mode})`,
      `  聊天模拟器 devchat:   ${base}/devchat/`,
      `  小程序 mini-app:      ${base}/app/`,
      `  API 文档 reference:   ${base}/api/docs`,
      `  健康检查 readiness:   ${base}/readyz`,
      '',
    ].join('\n'),
  )
})

let stopping = false
async function shutdown(signal: string): Promise<void> {
  if (stopping) return
  stopping = true
  logger.info({ signal }, 'shutting down')
  const hardStop = setTimeout(() => process.exit(1), 25_000)
  hardStop.unref()
  supervisor?.prepareStop()
  feishuWs?.close()
  dingtalkStream?.close()
  // HTTP first (no new work arrives), then the job children drain, then this process's own jobs.
  await new Promise<void>((resolve) => {
    server.close(() => resolve())
    server.closeIdleConnections()
  })
  stopReporting()
  await supervisor?.stop()
  await runtime.close()
  await feishu?.close()
  await dingtalk?.close()
  process.exit(0)
}
process.on('SIGINT', () => void shutdown('SIGINT'))
process.on('SIGTERM', () => void shutdown('SIGTERM'))
