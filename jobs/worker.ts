import { envOrExit } from '../bot/entry/env-or-exit'
import { hasDingtalk, hasFeishu } from '../bot/env'
import { createLogger } from '../bot/lib/logger'
import { bootRuntime } from './runtime'
import type { ChildMessage, ParentMessage } from './supervisor'

/**
 * Workers and the relay alone: `npm run worker` on a separate host (scaling job processing out on a shared
 * Redis, needs REDIS_URL), and the job child that `npm start` forks (FLOWCARD_JOBS_CHILD set, an IPC
 * channel to the parent): the child skips migrating and seeding (the parent did), reports `ready`, takes
 * the parent's event-loop delay so background work yields to its requests, and drains when the parent
 * asks or goes away.
 */
const env = envOrExit()
if (!env.REDIS_URL) {
  process.stderr.write('jobs/worker.ts needs REDIS_URL: the in-process queue lives inside `npm start`\n')
  process.exit(1)
}
const asChild = Boolean(process.env.FLOWCARD_JOBS_CHILD && process.send)
const logger = createLogger(env.LOG_LEVEL)
const feishu = hasFeishu(env)
  ? (await import('../bot/platforms/feishu/wiring')).feishuFromEnv(env, logger)
  : null
const dingtalk = hasDingtalk(env)
  ? (await import('../bot/platforms/dingtalk/wiring')).dingtalkFromEnv(env, logger)
  : null
// Counted only when `/metrics` is on (METRICS_TOKEN); a job child hands its series to the HTTP parent.
const metrics = env.METRICS_TOKEN
  ? new (await import('../bot/entry/prometheus')).PrometheusMetrics(
      process.env.FLOWCARD_JOBS_CHILD ? `jobs-${process.env.FLOWCARD_JOBS_CHILD}` : 'worker',
    )
  : null
const runtime = await bootRuntime(env, {
  work: true,
  logger,
  ...(metrics ? { metrics } : {}),
  prepare: !asChild,
  platforms: [...(feishu ? [feishu.platform] : []), ...(dingtalk ? [dingtalk.platform] : [])],
})
dingtalk?.useDatabase(runtime.database, runtime.clock, runtime.logger)
runtime.logger.info(
  { queue: runtime.queue.kind, database: runtime.database.kind, child: process.env.FLOWCARD_JOBS_CHILD },
  'worker started',
)
let stopping = false
const stop = async (signal: string) => {
  if (stopping) return
  stopping = true
  runtime.logger.info({ signal }, 'worker draining')
  if (asChild) process.send?.({ type: 'draining' } satisfies ChildMessage, () => {})
  await runtime.close()
  await feishu?.close()
  await dingtalk?.close()
  process.exit(0)
}
process.on('SIGINT', () => void stop('SIGINT'))
process.on('SIGTERM', () => void stop('SIGTERM'))
if (asChild) {
  process.on('message', (m: ParentMessage) => {
    if (m?.type === 'stop') void stop('parent')
    else if (m?.type === 'loop-delay') runtime.governor?.observeExternal(m.ms)
    else if (m?.type === 'metrics')
      void (metrics ? metrics.snapshot() : Promise.resolve([])).then(
        (data) => process.send?.({ type: 'metrics', id: m.id, data } satisfies ChildMessage, () => {}),
        () => process.send?.({ type: 'metrics', id: m.id, data: [] } satisfies ChildMessage, () => {}),
      )
  })
  // The parent died without stopping us (SIGKILL): drain and go rather than work unsupervised.
  process.on('disconnect', () => void stop('parent gone'))
  process.send?.({ type: 'ready' } satisfies ChildMessage)
}
