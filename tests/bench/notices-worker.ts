/**
 * A job worker process for the notice fan-out tests and bench, like `jobs/worker.ts` but wired for them:
 * BullMQ on REDIS_URL (own key prefix), PostgreSQL on DATABASE_URL, the fake Feishu Open API as the `feishu`
 * platform, and an outbox relay with a short poll and stale-relay sweep (so jobs lost with a Redis restart
 * come back within seconds). Prints `ready` on stdout once consuming. Meant to be SIGKILLed.
 *
 * env: DATABASE_URL, REDIS_URL, BULL_PREFIX, FEISHU_BASE_URL, FEISHU_APP_ID, FEISHU_APP_SECRET, TENANT_ID,
 *      RELAY_POLL_MS (100), STALE_AFTER_MS (3000), CONCURRENCY (16), LIMITER_REDIS_URL (the shared Redis)
 */
import { systemClock } from '../../bot/lib/clock'
import { createLogger } from '../../bot/lib/logger'
import { createDevchatPlatform } from '../../bot/platforms/devchat/adapter'
import { createFeishuPlatform } from '../../bot/platforms/feishu/adapter'
import { RedisRateLimiter } from '../../bot/platforms/rate-limit'
import { PlatformRegistry } from '../../bot/platforms/registry'
import { openDatabase } from '../../db/client'
import { BullQueue } from '../../jobs/drivers/bullmq'
import { startWorkers } from '../../jobs/workers'

const need = (k: string): string => {
  const v = process.env[k]
  if (!v) {
    process.stderr.write(`notices-worker: ${k} is required\n`)
    process.exit(2)
  }
  return v
}

const logger = createLogger((process.env.LOG_LEVEL as 'warn' | undefined) ?? 'warn')
const database = await openDatabase({ url: need('DATABASE_URL'), max: 12 })
const queue = await BullQueue.connect({
  url: need('REDIS_URL'),
  prefix: need('BULL_PREFIX'),
  lockMs: Number(process.env.JOBS_LOCK_MS ?? 30_000),
})
// The real adapter, paced at request time by the GCRA limiter that all workers share through Redis. The
// limiter lives on a Redis the test does not restart (LIMITER_REDIS_URL), keyed per run.
const limiter = new RedisRateLimiter(
  process.env.LIMITER_REDIS_URL ?? 'redis://127.0.0.1:6379',
  `fc:rl:${need('BULL_PREFIX')}:`,
)
const feishu = createFeishuPlatform(
  { appId: need('FEISHU_APP_ID'), appSecret: need('FEISHU_APP_SECRET'), domain: need('FEISHU_BASE_URL') },
  logger,
  { limiter },
)
const platforms = new PlatformRegistry().register(createDevchatPlatform()).register(feishu)
const { relay } = await startWorkers({
  database,
  queue,
  logger,
  clock: systemClock,
  platforms,
  concurrency: Number(process.env.CONCURRENCY ?? 16),
  relay: {
    pollMs: Number(process.env.RELAY_POLL_MS ?? 100),
    staleAfterMs: Number(process.env.STALE_AFTER_MS ?? 3000),
    ...(process.env.TENANT_ID ? { tenantId: process.env.TENANT_ID } : {}),
  },
})
process.stdout.write('ready\n')

let stopping = false
const stop = async () => {
  if (stopping) return
  stopping = true
  await relay?.stop()
  await queue.close(5000)
  await database.close()
  process.exit(0)
}
process.on('SIGTERM', () => void stop())
process.on('SIGINT', () => void stop())
