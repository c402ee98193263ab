import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../bot/lib/logger'
import { createFeishuPlatform } from '../../bot/platforms/feishu/adapter'
import { RedisRateLimiter } from '../../bot/platforms/rate-limit'
import { createFakeFeishu, type FakeFeishu } from '../fakes/feishu'
import { redisUrl } from '../helpers/db'

const url = redisUrl()
let fake: FakeFeishu

beforeAll(async () => {
  fake = await createFakeFeishu()
})
afterAll(async () => {
  await fake?.close()
})

describe('sender-side rate limits', () => {
  it('paces sends to one user under 5 QPS so the platform never throttles', async () => {
    const platform = createFeishuPlatform(
      { appId: fake.appId, appSecret: fake.appSecret, domain: fake.url },
      createLogger('silent'),
    )
    const openId = fake.user('chenyi').openId
    const started = Date.now()
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        platform.send(
          { id: 'ten_x', platformTenantKey: fake.tenantKey },
          {
            to: { kind: 'user', openId },
            content: { kind: 'text', text: `第 ${i} 条` },
            idempotencyKey: `rl-${i}`,
            locale: 'zh-CN',
          },
        ),
      ),
    )
    expect(fake.recorder.messagesTo(openId)).toHaveLength(12)
    expect(fake.recorder.throttledCount).toBe(0)
    expect(Date.now() - started).toBeGreaterThan(2000)
  })

  it.skipIf(!url)('shares one budget between processes through Redis (GCRA in Lua)', async () => {
    const a = new RedisRateLimiter(url)
    const b = new RedisRateLimiter(url)
    const key = `test:${Date.now()}:${Math.random()}`
    try {
      const rate = { ratePerSec: 10, burst: 2 }
      const waits: number[] = []
      for (let i = 0; i < 6; i++) {
        const r = await (i % 2 === 0 ? a : b).acquire(key, rate)
        if (!r.ok) throw new Error('refused')
        waits.push(r.waitMs)
      }
      // Two back to back, then one every 100 ms whichever process asks.
      expect(waits[0]).toBe(0)
      expect(waits[1]).toBeLessThanOrEqual(5)
      expect(waits[5]).toBeGreaterThanOrEqual(350)
      expect(waits[5]).toBeLessThanOrEqual(400)
      expect(await a.acquire(key, rate, { maxWaitMs: 10 })).toMatchObject({ ok: false })
      const redis = new Redis(url)
      expect(await redis.pttl(`fc:rl:${key}`)).toBeGreaterThan(0)
      await redis.quit()
    } finally {
      await a.close()
      await b.close()
    }
  })
})
