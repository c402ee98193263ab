import type { Env } from '../../env'
import type { Logger } from '../../lib/logger'
import { createRateLimiter, type RateLimiter } from '../rate-limit'
import { createFeishuPlatform, type FeishuPlatform, feishuConfigOf } from './adapter'
import type { FeishuInboundOptions } from './inbound'

/**
 * What an entry needs to run Feishu: the outbound platform (for `bootRuntime({platforms})`), the inbound
 * options (for `createApp({feishu})` and the long connection) and the login exchanger. Null when the
 * FEISHU_* variables are absent.
 */
export interface FeishuWiring {
  platform: FeishuPlatform
  inbound: FeishuInboundOptions
  mode: 'webhook' | 'ws'
  limiter: RateLimiter
  exchangeLoginCode: (code: string) => Promise<{ tenantKey: string; openId: string }>
  close(): Promise<void>
}

export function feishuFromEnv(env: Env, logger: Logger, limiter?: RateLimiter): FeishuWiring | null {
  const config = feishuConfigOf(env)
  if (!config) return null
  const rateLimiter = limiter ?? createRateLimiter(env.REDIS_URL)
  const platform = createFeishuPlatform(
    { appId: config.appId, appSecret: config.appSecret, domain: config.domain },
    logger,
    { limiter: rateLimiter, ...(env.PUBLIC_URL ? { publicUrl: env.PUBLIC_URL } : {}) },
  )
  return {
    platform,
    mode: env.FEISHU_MODE,
    limiter: rateLimiter,
    inbound: {
      verificationToken: config.verificationToken,
      encryptKey: config.encryptKey,
      botOpenId: () => platform.botOpenId(),
      render: platform.render,
    },
    exchangeLoginCode: (code) => platform.exchangeLoginCode(code),
    close: async () => {
      await rateLimiter.close?.()
    },
  }
}
