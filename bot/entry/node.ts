import { resolve } from 'node:path'
import { serve } from '@hono/node-server'
import { bootRuntime } from '../../jobs/runtime'
import { createApp } from '../app'
import { hasFeishu } from '../env'
import { createLogger } from '../lib/logger'
import type { FeishuLongConnection } from '../platforms/feishu/ws'
import { envOrExit } from './env-or-exit'
import { localSessionSecret } from './session-secret'
import { mountStatic } from './static'
import { createLocalStorage } from './storage-local'

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
const runtime = await bootRuntime(env, {
  work: true,
  logger: bootLogger,
  platforms: feishu ? [feishu.platform] : [],
})
const { logger } = runtime
const app = createApp({
  env,
  database: runtime.database,
  queue: runtime.queue,
  logger,
  clock: runtime.clock,
  sessionSecret: env.SESSION_SECRET ?? localSessionSecret(env.DATA_DIR),
  storage: createLocalStorage(resolve(env.DATA_DIR, 'blobs')),
  ...(feishu ? { feishu: feishu.inbound, loginExchangers: { feishu: feishu.exchangeLoginCode } } : {}),
})
let feishuWs: FeishuLongConnection | null = null
if (feishu?.mode === 'ws') {
  const { startFeishuLongConnection } = await import('../platforms/feishu/ws')
  feishuWs = await startFeishuLongConnection(
    { ...feishu.inbound, database: runtime.database, logger, clock: runtime.clock },
    feishu.platform.config,
    logger,
  )
}
mountStatic(app, env)

const server = serve({ fetch: app.fetch, port: env.PORT, hostname: env.HOST }, (info) => {
  const base = env.PUBLIC_URL ?? `http://localhost:${info.port}`
  const ms = Math.round(performance.now() - started)
  logger.info(
    { port: info.port, database: runtime.database.kind, queue: runtime.queue.kind, ms },
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
  await new Promise<void>((resolve) => server.close(() => resolve()))
  await runtime.close()
  await feishu?.close()
  process.exit(0)
}
process.on('SIGINT', () => void shutdown('SIGINT'))
process.on('SIGTERM', () => void shutdown('SIGTERM'))
