import { pino } from 'pino'

export type AppLogger = pino.Logger

/** Paths whose values never reach a log line: secrets, tokens, signatures, session material. */
export const REDACT_PATHS = [
  'secret',
  'token',
  'password',
  'authorization',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  '*.secret',
  '*.token',
  '*.appSecret',
  '*.app_secret',
  '*.encryptKey',
  '*.tenant_access_token',
  '*.access_token',
  '*.refresh_token',
  '*.password',
  '*.authorization',
  'env.FEISHU_APP_SECRET',
  'env.FEISHU_ENCRYPT_KEY',
  'env.FEISHU_VERIFICATION_TOKEN',
  'env.DINGTALK_CLIENT_SECRET',
  'env.SESSION_SECRET',
]

export function createLogger(level: string, name = 'flowcard'): AppLogger {
  return pino({
    name,
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
  })
}
