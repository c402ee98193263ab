import { afterAll, describe, expect, it } from 'vitest'
import { BullQueue } from '../../jobs/drivers/bullmq'
import { PrivateRedis } from '../bench/notices-fixtures'
import { waitFor } from '../helpers/wait'

/**
 * A Redis restart without persistence loses every job it held. The queue tells the relay at once (the
 * server's run id changed on reconnect), so relayed rows go out again now instead of after the 2-minute
 * stale sweep (the chaos run measured ~80 s of recovery after a Redis restart before this).
 */
let redis: PrivateRedis | null = null
let queue: BullQueue | null = null
afterAll(async () => {
  await queue?.close(1000)
  await redis?.kill()
})

describe('BullMQ queue after a Redis restart', () => {
  it('reports the reset once the new server is back', async () => {
    redis = await PrivateRedis.start()
    queue = await BullQueue.connect({ url: redis.url, prefix: `reset_${Date.now()}` })
    let resets = 0
    queue.onReset(() => resets++)
    await queue.ping()
    expect(resets).toBe(0)
    await redis.restart(200)
    await waitFor(() => resets === 1, 'the reset to be reported', 20_000, 20)
    await queue.ping()
    expect(resets).toBe(1)
  }, 60_000)
})
