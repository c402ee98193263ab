import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import { bootRuntime } from '../../jobs/runtime'
import { createApp } from '../app'
import { hasDingtalk, hasFeishu, hasS3 } from '../env'
import { createLogger } from '../lib/logger'
import type { DingtalkStream } from '../platforms/dingtalk/stream'
import type { FeishuLongConnection } from '../platforms/feishu/ws'
import { IngestBatcher } from '../platforms/ingest-batch'
import { envOrExit } from './env-or-exit'
import { createNodeServer } from './node-server'
import { localSessionSecret } from './session-secret'
import { mountStatic } from './static'

/**
 * The Node process: HTTP server, outbox relay and job workers in one process by default
 * (`jobs/worker.ts` runs workers alone for scaling out).
 */
const started = performance.now()
const env = envOrExit()
const bootLogger = createLogger(env.LOG_LEVEL)
// The Feishu SDK costs ~0.5 s to load: only when Feishu is configured.
const feishu = hasFeishu(env)
  ? (await import('../platforms/feishu/wiring')).feishuFromEnv(env, bootLogger)
  : null
// DingTalk likewise only when configured (HTTP callbacks always; the stream connection when DINGTALK_MODE=stream).
const dingtalk = hasDingtalk(env)
  ? (await import('../platforms/dingtalk/wiring')).dingtalkFromEnv(env, bootLogger)
  : null
// Files go to the S3-compatible store when `S3_*` is set, else to local disk; each driver loads only when used.
const storage = hasS3(env)
  ? await import('../lib/storage/s3').then((m) => m.createS3Storage(m.s3ConfigFromEnv(env)))
  : await import('./storage-local').then((m) => m.createLocalStorage(resolve(env.DATA_DIR, 'blobs')))
const runtime = await bootRuntime(env, {
  work: true,
  logger: bootLogger,
  platforms: [...(feishu ? [feishu.platform] : []), ...(dingtalk ? [dingtalk.platform] : [])],
})
const { logger } = runtime
// One group-commit batcher for the webhook fast path and the Hono routes (and DingTalk's callbacks).
const ingestBatcher = new IngestBatcher(runtime.database.db)
const feishuInbound = feishu ? { ...feishu.inbound, ingest: ingestBatcher.ingest } : null
const app = createApp({
  env,
  database: runtime.database,
  queue: runtime.queue,
  logger,
  clock: runtime.clock,
  sessionSecret: env.SESSION_SECRET ?? localSessionSecret(env.DATA_DIR),
  storage,
  platforms: runtime.platforms,
  ...(feishu && feishuInbound ? { feishu: feishuInbound } : {}),
  ...(dingtalk ? { dingtalk: { ...dingtalk.inbound, ingest: ingestBatcher.ingest } } : {}),
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
      database: runtime.database,
      logger,
      clock: runtime.clock,
    },
    dingtalk.stream,
  )
}
mountStatic(app, env)

const feishuWebhook = feishuInbound
  ? (await import('../platforms/feishu/routes')).feishuWebhookHandler({
      ...feishuInbound,
      database: runtime.database,
      logger,
      clock: runtime.clock,
    })
  : undefined
const server = createNodeServer({ fetch: app.fetch, logger, ...(feishuWebhook ? { feishuWebhook } : {}) })
server.listen(env.PORT, env.HOST, () => {
  const info = server.address() as AddressInfo
  const base = env.PUBLIC_URL ?? `http://localhost:${info.port}`
  const ms = Math.round(performance.now() - started)
  logger.info(
    {
      port: info.port,
      database: runtime.database.kind,
      queue: runtime.queue.kind,
      storage: storage.kind,
      ms,
    },
    'flowcard is listening',
  )
  process.stdout.write(
    [
      '',
      `  flowcard 已启动 / is running  (${ms} ms, database: ${runtime.database.kind}, jobs: ${runtime.queue.kind})`,
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
  const hardStop = setTimeout(() => process.exit(1), 15_000)
  hardStop.unref()
  feishuWs?.close()
  dingtalkStream?.close()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  await runtime.close()
  await feishu?.close()
  await dingtalk?.close()
  process.exit(0)
}
process.on('SIGINT', () => void shutdown('SIGINT'))
process.on('SIGTERM', () => void shutdown('SIGTERM'))
