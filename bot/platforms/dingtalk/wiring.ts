import type { Database } from '../../../db/client'
import type { Env } from '../../env'
import type { Clock } from '../../lib/clock'
import type { Logger } from '../../lib/logger'
import { createRateLimiter, type RateLimiter } from '../rate-limit'
import { cardApiSecretOf, createDingtalkPlatform, type DingtalkPlatform } from './adapter'
import type { DingtalkInboundOptions } from './inbound'
import { createDingtalkMeter, type DingtalkMeter } from './usage-meter'

/** The route key flowcard registers its card callback URL under. */
export const CARD_CALLBACK_ROUTE_KEY = 'flowcard-cards'

/**
 * What an entry needs to run DingTalk: the outbound platform (for `bootRuntime({platforms})`) and the
 * inbound options (for `createApp({dingtalk})`). Null when the DINGTALK_* variables are absent.
 */
export interface DingtalkWiring {
  platform: DingtalkPlatform
  inbound: DingtalkInboundOptions
  mode: 'webhook' | 'stream'
  /** Stream mode: the gateway the connection is opened through. */
  stream: { clientId: string; clientSecret: string; gatewayUrl: string }
  limiter: RateLimiter
  /** The mini-app login exchange; null without DINGTALK_CORP_ID. */
  exchangeLoginCode: ((code: string) => Promise<{ tenantKey: string; openId: string }>) | null
  /**
   * Once the database is up: meters quota-counted calls and pushes per tenant and keeps the quota pause.
   * Returns the meter for the inbound side (`inbound.meter`).
   */
  useDatabase(database: Database, clock: Clock, logger: Logger): DingtalkMeter
  close(): Promise<void>
}

export function dingtalkFromEnv(env: Env, logger: Logger, limiter?: RateLimiter): DingtalkWiring | null {
  if (!env.DINGTALK_CLIENT_ID || !env.DINGTALK_CLIENT_SECRET) return null
  const rateLimiter = limiter ?? createRateLimiter(env.REDIS_URL)
  const cardApiSecret = cardApiSecretOf(env.DINGTALK_CLIENT_SECRET)
  const publicUrl = env.PUBLIC_URL?.replace(/\/+$/, '')
  if (!env.DINGTALK_CARD_TEMPLATE_ID)
    logger.warn({}, 'DINGTALK_CARD_TEMPLATE_ID is not set: DingTalk cards cannot be sent')
  const platform = createDingtalkPlatform(
    {
      clientId: env.DINGTALK_CLIENT_ID,
      clientSecret: env.DINGTALK_CLIENT_SECRET,
      apiBase: env.DINGTALK_API_BASE,
      oapiBase: env.DINGTALK_OAPI_BASE,
      robotCode: env.DINGTALK_ROBOT_CODE ?? env.DINGTALK_CLIENT_ID,
      cardTemplateId: env.DINGTALK_CARD_TEMPLATE_ID ?? '',
    },
    logger,
    {
      limiter: rateLimiter,
      ...(publicUrl ? { publicUrl } : {}),
      ...(env.DINGTALK_CORP_ID ? { corpId: env.DINGTALK_CORP_ID } : {}),
      // HTTP card callbacks need a public URL; otherwise taps would go to the stream connection.
      ...(publicUrl && env.DINGTALK_MODE === 'webhook'
        ? {
            cardCallback: {
              routeKey: CARD_CALLBACK_ROUTE_KEY,
              url: `${publicUrl}/webhooks/dingtalk/cards`,
              apiSecret: cardApiSecret,
            },
          }
        : {}),
    },
  )
  return {
    platform,
    mode: env.DINGTALK_MODE,
    stream: {
      clientId: env.DINGTALK_CLIENT_ID,
      clientSecret: env.DINGTALK_CLIENT_SECRET,
      gatewayUrl: `${env.DINGTALK_API_BASE.replace(/\/+$/, '')}/v1.0/gateway/connections/open`,
    },
    limiter: rateLimiter,
    exchangeLoginCode: platform.exchangeLoginCode ?? null,
    useDatabase: (database, clock, log) => {
      const meter = createDingtalkMeter(database, clock, log)
      platform.useMeter(meter)
      return meter
    },
    inbound: {
      clientId: env.DINGTALK_CLIENT_ID,
      clientSecret: env.DINGTALK_CLIENT_SECRET,
      cardApiSecret,
      ...(env.DINGTALK_TOKEN ? { eventToken: env.DINGTALK_TOKEN } : {}),
      ...(env.DINGTALK_AES_KEY ? { aesKey: env.DINGTALK_AES_KEY } : {}),
      render: platform.render,
    },
    close: async () => {
      await rateLimiter.close?.()
    },
  }
}
