import { describe, expect, it } from 'vitest'
import { parseEnv } from '../../env'
import { createLogger } from '../../lib/logger'
import { MemoryRateLimiter } from '../rate-limit'
import { cardApiSecretOf } from './adapter'
import { dingtalkFromEnv } from './wiring'

const logger = createLogger('silent')
const base = { LOG_LEVEL: 'silent', DEVCHAT: 'off' }

describe('dingtalkFromEnv', () => {
  it('is null without DingTalk credentials', () => {
    expect(dingtalkFromEnv(parseEnv(base), logger, new MemoryRateLimiter())).toBeNull()
  })

  it('wires webhook mode with the configured hosts, template and derived card secret', () => {
    const env = parseEnv({
      ...base,
      DINGTALK_CLIENT_ID: 'dingabc',
      DINGTALK_CLIENT_SECRET: 'secret-xyz',
      DINGTALK_MODE: 'webhook',
      DINGTALK_TOKEN: 'tok',
      DINGTALK_AES_KEY: 'Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7',
      DINGTALK_CARD_TEMPLATE_ID: 'tpl.schema',
      DINGTALK_API_BASE: 'http://127.0.0.1:9/',
      PUBLIC_URL: 'https://flow.example.com',
    })
    const w = dingtalkFromEnv(env, logger, new MemoryRateLimiter())
    expect(w?.mode).toBe('webhook')
    expect(w?.platform.config).toMatchObject({
      robotCode: 'dingabc',
      cardTemplateId: 'tpl.schema',
      apiBase: 'http://127.0.0.1:9/',
      oapiBase: 'https://oapi.dingtalk.com',
    })
    expect(w?.inbound).toMatchObject({
      clientId: 'dingabc',
      eventToken: 'tok',
      cardApiSecret: cardApiSecretOf('secret-xyz'),
    })
    expect(w?.inbound.cardApiSecret).not.toContain('secret-xyz')
    expect(w?.stream.gatewayUrl).toBe('http://127.0.0.1:9/v1.0/gateway/connections/open')
  })

  it('defaults to stream mode', () => {
    const env = parseEnv({ ...base, DINGTALK_CLIENT_ID: 'dingabc', DINGTALK_CLIENT_SECRET: 's' })
    expect(dingtalkFromEnv(env, logger, new MemoryRateLimiter())?.mode).toBe('stream')
  })
})
