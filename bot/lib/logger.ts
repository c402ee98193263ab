import { pino } from 'pino'

export type AppLogger = pino.Logger

/** The logging port every layer takes: the pino logger satisfies it, tests pass a silent one. */
export interface Logger {
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

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
  'env.S3_SECRET_ACCESS_KEY',
  '*.secretAccessKey',
]

/**
 * JSON lines for machines; on an interactive terminal outside production, pino-pretty's readable lines
 * (same fields, same redaction) so a newcomer's `npm start` reads well.
 */
export function createLogger(level: string, name = 'flowcard', pretty = defaultPretty()): AppLogger {
  const options: pino.LoggerOptions = {
    name,
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: errWithoutParams },
    // Where bundlers pick pino's browser build (Cloudflare Workers): one JSON line per entry, built from the
    // log object, because that build applies `redact` and the serializers only to objects. Ignored on Node.
    browser: { asObject: true, serialize: true, write: writeJsonLine },
  }
  if (!pretty) return pino(options)
  return pino(
    options,
    pino.transport({
      target: 'pino-pretty',
      options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' },
    }),
  )
}

function defaultPretty(): boolean {
  const g = globalThis as {
    process?: { stdout?: { isTTY?: boolean }; env?: Record<string, string | undefined> }
  }
  return (
    Boolean(g.process?.stdout?.isTTY) &&
    g.process?.env?.NODE_ENV !== 'production' &&
    g.process?.env?.LOG_FORMAT !== 'json'
  )
}

/** pino's browser build hands `write` the redacted object (with the redactor's `restore` function attached). */
function writeJsonLine(o: object): void {
  const { restore: _restore, ...line } = o as Record<string, unknown>
  console.log(JSON.stringify(line))
}

/**
 * pino's error serializer, minus query parameters: drizzle's "Failed query: … params: …" message (and the
 * same text in a wrapped error's stack) carries the statement's values — names, phones, follow-up text,
 * secrets — so everything from `params:` to the end of that line is cut, in the error and in its causes.
 */
export function errWithoutParams(err: unknown): unknown {
  const out = pino.stdSerializers.err(err as Error) as unknown
  return scrubParams(out, 0)
}

const PARAMS = /\nparams: [^\n]*/g

function scrubParams(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return value.replace(PARAMS, '\nparams: [redacted]')
  if (!value || typeof value !== 'object' || depth > 5) return value
  const o = value as Record<string, unknown>
  for (const key of ['message', 'stack']) if (typeof o[key] === 'string') o[key] = scrubParams(o[key], depth)
  if ('params' in o) o.params = '[redacted]'
  if ('parameters' in o) o.parameters = '[redacted]'
  if (o.cause) o.cause = scrubParams(o.cause, depth + 1)
  return o
}
