import { envOrExit } from '../bot/entry/env-or-exit'
import { hasDingtalk, hasFeishu } from '../bot/env'
import { createLogger } from '../bot/lib/logger'
import { bootRuntime } from './runtime'

/** Workers and the relay alone, for scaling job processing out on a shared Redis (needs REDIS_URL). */
const env = envOrExit()
if (!env.REDIS_URL) {
  process.stderr.write('jobs/worker.ts needs REDIS_URL: the in-process queue lives inside `npm start`\n')
  process.exit(1)
}
const logger = createLogger(env.LOG_LEVEL)
const feishu = hasFeishu(env)
  ? (await import('../bot/platforms/feishu/wiring')).feishuFromEnv(env, logger)
  : null
const dingtalk = hasDingtalk(env)
  ? (await import('../bot/platforms/dingtalk/wiring')).dingtalkFromEnv(env, logger)
  : null
const runtime = await bootRuntime(env, {
  work: true,
  logger,
  platforms: [...(feishu ? [feishu.platform] : []), ...(dingtalk ? [dingtalk.platform] : [])],
})
dingtalk?.useDatabase(runtime.database, runtime.clock, runtime.logger)
runtime.logger.info({ queue: runtime.queue.kind, database: runtime.database.kind }, 'worker started')
let stopping = false
const stop = async (signal: string) => {
  if (stopping) return
  stopping = true
  runtime.logger.info({ signal }, 'worker draining')
  await runtime.close()
  await feishu?.close()
  await dingtalk?.close()
  process.exit(0)
}
process.on('SIGINT', () => void stop('SIGINT'))
process.on('SIGTERM', () => void stop('SIGTERM'))
