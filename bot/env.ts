import { z } from 'zod'
import { parseEncryptionKeys } from './lib/secret-box'

const url = (what: string) => z.url({ message: `expected ${what}` })
const nonEmpty = z.string().trim().min(1, { message: 'expected a non-empty string' })

const feishuVars = [
  'FEISHU_APP_ID',
  'FEISHU_APP_SECRET',
  'FEISHU_VERIFICATION_TOKEN',
  'FEISHU_ENCRYPT_KEY',
] as const
const dingtalkVars = ['DINGTALK_CLIENT_ID', 'DINGTALK_CLIENT_SECRET'] as const
const s3Vars = ['S3_ENDPOINT', 'S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const
const s3Extras = ['S3_REGION', 'S3_FORCE_PATH_STYLE'] as const

/**
 * The whole environment in one schema. Platform variables come as groups: all of a platform's required
 * variables or none of them, so a half-configured Feishu app fails at start instead of at the first tap.
 */
export const envSchema = z.object({
  /** Unset counts as development for conveniences, but never relaxes a safety default (see below). */
  NODE_ENV: z.enum(['development', 'production', 'test']).optional(),
  PORT: z.coerce
    .number({ message: 'expected a port number' })
    .int({ message: 'expected a whole port number' })
    .min(1, { message: 'expected a port between 1 and 65535' })
    .max(65535, { message: 'expected a port between 1 and 65535' })
    .default(3000),
  /** Unset: `127.0.0.1` while devchat is on (it lets anyone act as anyone), else `0.0.0.0`. */
  HOST: z.string().optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { message: 'expected a postgres:// or postgresql:// URL' })
    .optional(),
  DATA_DIR: z.string().default('.data'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, { message: 'expected a redis:// or rediss:// URL' })
    .optional(),
  /**
   * Where the outbox relay and job workers run: `auto` = in child processes when both DATABASE_URL and
   * REDIS_URL are set (HTTP keeps the main event loop), else in this process; `child`, `inline` (one event
   * loop, for tiny machines) or `off` (no jobs here: `npm run worker` runs them on other hosts).
   */
  JOBS_MODE: z
    .enum(['auto', 'child', 'inline', 'off'], { message: "expected 'auto', 'child', 'inline' or 'off'" })
    .default('auto'),
  /** Job child processes with JOBS_MODE child (default: one per core beyond the first, at least one). */
  JOBS_PROCESSES: z.coerce
    .number({ message: 'expected a whole number of processes' })
    .int({ message: 'expected a whole number of processes' })
    .min(1, { message: 'expected between 1 and 64 processes' })
    .max(64, { message: 'expected between 1 and 64 processes' })
    .optional(),
  /**
   * Scheduling priority (nice value, 0–19) of the job child processes with JOBS_MODE child: above 0 the
   * operating system runs the HTTP process (card taps, webhook acks) first when the cores are busy, and the
   * children use whatever is left; 0 gives them equal standing.
   */
  JOBS_NICE: z.coerce
    .number({ message: 'expected a nice value between 0 and 19' })
    .int({ message: 'expected a whole nice value between 0 and 19' })
    .min(0, { message: 'expected a nice value between 0 and 19' })
    .max(19, { message: 'expected a nice value between 0 and 19' })
    .default(10),
  /**
   * How long a job worker holds a job's lock before another may take it over (BullMQ's lockDuration; also
   * how often stalled jobs are looked for). A job whose worker died is retried after about this long.
   */
  JOBS_LOCK_MS: z.coerce
    .number({ message: 'expected milliseconds' })
    .int({ message: 'expected whole milliseconds' })
    .min(1000, { message: 'expected between 1000 and 600000 ms' })
    .max(600_000, { message: 'expected between 1000 and 600000 ms' })
    .default(30_000),
  PUBLIC_URL: url('an absolute http(s) URL such as https://flowcard.example.com').optional(),
  SESSION_SECRET: z
    .string()
    .min(32, { message: 'expected at least 32 characters of random secret' })
    .optional(),
  /**
   * Keys that seal the secrets stored for other systems (external-system and lead-intake secrets):
   * `<id>:<32 bytes base64>[,<id>:<key>…]`, the first one seals, all of them open (rotation). Required in
   * production; elsewhere a key generated into DATA_DIR is used.
   */
  ENCRYPTION_KEYS: z
    .string()
    .superRefine((value, ctx) => {
      const parsed = parseEncryptionKeys(value)
      if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed })
    })
    .optional(),
  /** Bearer token that `GET /metrics` (Prometheus) requires; metrics are off when unset. */
  METRICS_TOKEN: z.string().min(16, { message: 'expected at least 16 characters' }).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Seed the demo tenant when the database is empty (default on for the embedded database). */
  SEED_DEMO: z.enum(['auto', 'true', 'false']).default('auto'),
  /**
   * Whether `X-Forwarded-For` names the client (per-address budgets: login, public forms, lead intake):
   * `private` = only when the connection comes from a loopback or private address (a proxy beside us),
   * `true` = always (a CDN with public addresses in front), `false` = never.
   */
  TRUST_PROXY: z
    .enum(['private', 'true', 'false'], { message: "expected 'private', 'true' or 'false'" })
    .default('private'),
  /** The devchat simulator: `auto` = on when no chat platform is configured, outside production. */
  DEVCHAT: z.enum(['auto', 'on', 'off'], { message: "expected 'auto', 'on' or 'off'" }).default('auto'),
  /**
   * Approval webhooks to private, loopback or link-local addresses: `auto` = allowed only when NODE_ENV is
   * explicitly `development` or `test` (an admin could otherwise point one at an internal service or the
   * cloud metadata endpoint).
   */
  WEBHOOK_PRIVATE_TARGETS: z
    .enum(['auto', 'allow', 'deny'], { message: "expected 'auto', 'allow' or 'deny'" })
    .default('auto'),
  /**
   * People made admins of their tenant whatever the platform says: comma-separated emails, mobiles or
   * platform user ids (for platforms or app permissions that do not expose the app's administrators).
   */
  FLOWCARD_ADMINS: z
    .string()
    .optional()
    .transform((v) =>
      (v ?? '')
        .split(/[,;\n]+/)
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().max(200)).max(1000, { message: 'at most 1000 entries' })),
  FEISHU_APP_ID: z
    .string()
    .regex(/^cli_[0-9a-zA-Z]+$/, { message: 'expected a Feishu app id starting with cli_' })
    .optional(),
  FEISHU_APP_SECRET: nonEmpty.optional(),
  FEISHU_VERIFICATION_TOKEN: nonEmpty.optional(),
  FEISHU_ENCRYPT_KEY: nonEmpty.optional(),
  FEISHU_DOMAIN: url('an absolute URL such as https://open.feishu.cn').default('https://open.feishu.cn'),
  FEISHU_MODE: z.enum(['webhook', 'ws'], { message: "expected 'webhook' or 'ws'" }).default('webhook'),
  DINGTALK_CLIENT_ID: nonEmpty.optional(),
  DINGTALK_CLIENT_SECRET: nonEmpty.optional(),
  DINGTALK_ROBOT_CODE: nonEmpty.optional(),
  DINGTALK_AES_KEY: z.string().length(43, { message: 'expected the 43-character EncodingAESKey' }).optional(),
  DINGTALK_TOKEN: nonEmpty.optional(),
  DINGTALK_MODE: z
    .enum(['stream', 'webhook'], { message: "expected 'stream' or 'webhook'" })
    .default('stream'),
  /** flowcard's DingTalk card template id (card platform, `….schema`); cards cannot be sent without it. */
  DINGTALK_CARD_TEMPLATE_ID: nonEmpty.optional(),
  /** The org the internal app belongs to; needed for the mini-app login (getuserinfo does not name it). */
  DINGTALK_CORP_ID: nonEmpty.optional(),
  DINGTALK_API_BASE: url('an absolute URL such as https://api.dingtalk.com').default(
    'https://api.dingtalk.com',
  ),
  DINGTALK_OAPI_BASE: url('an absolute URL such as https://oapi.dingtalk.com').default(
    'https://oapi.dingtalk.com',
  ),
  /** S3-compatible object storage for files (visit photos); unset: local disk under DATA_DIR/blobs. */
  S3_ENDPOINT: z
    .url({
      protocol: /^https?$/,
      message: 'expected an absolute http(s) URL such as https://s3.cn-north-1.amazonaws.com.cn',
    })
    .optional(),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
      message: 'expected a bucket name: 3-63 lowercase letters, digits, dots and hyphens',
    })
    .optional(),
  S3_REGION: z
    .string()
    .regex(/^[a-z0-9-]{1,40}$/, { message: 'expected a region such as cn-north-1, us-east-1 or auto' })
    .optional(),
  S3_ACCESS_KEY_ID: nonEmpty.optional(),
  S3_SECRET_ACCESS_KEY: nonEmpty.optional(),
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false'], { message: "expected 'true' or 'false'" }).optional(),
})

/**
 * Rules across variables, checked on the raw input so they are reported together with per-variable
 * problems (zod skips refinements when a field already failed).
 */
function crossProblems(env: Record<string, string | undefined>): string[] {
  const problems = [
    ...groupProblems(env, feishuVars, 'Feishu'),
    ...groupProblems(env, dingtalkVars, 'DingTalk'),
    ...groupProblems(env, s3Vars, 'S3'),
  ]
  if (!s3Vars.some((n) => env[n] !== undefined))
    for (const name of s3Extras)
      if (env[name] !== undefined)
        problems.push(`${name}: set without ${s3Vars.join(', ')} (S3 is not configured)`)
  if (env.JOBS_MODE === 'child' && (!env.DATABASE_URL || !env.REDIS_URL))
    problems.push(
      'JOBS_MODE: child needs DATABASE_URL and REDIS_URL (the embedded database and the in-process queue live in one process)',
    )
  if (env.JOBS_MODE === 'off' && (!env.DATABASE_URL || !env.REDIS_URL))
    problems.push(
      'JOBS_MODE: off needs DATABASE_URL and REDIS_URL (jobs run by `npm run worker` elsewhere share them)',
    )
  if (env.NODE_ENV === 'production' && !env.SESSION_SECRET)
    problems.push('SESSION_SECRET: required in production')
  if (env.NODE_ENV === 'production' && !env.ENCRYPTION_KEYS)
    problems.push(
      'ENCRYPTION_KEYS: required in production (stored secrets are encrypted with it), e.g. k1:$(openssl rand -base64 32)',
    )
  const platform = [...feishuVars, ...dingtalkVars].some((n) => env[n] !== undefined)
  if (env.NODE_ENV === 'production' && platform) {
    const secret = env.SESSION_SECRET
    if (secret && secret.length >= 32 && weakSecret(secret))
      problems.push(
        'SESSION_SECRET: too weak for production (use 32+ random characters, e.g. `openssl rand -base64 48`)',
      )
    if (env.DEVCHAT === 'on')
      problems.push(
        'DEVCHAT: must not be on in production with a chat platform (it lets anyone act as anyone)',
      )
    if (env.WEBHOOK_PRIVATE_TARGETS === 'allow')
      problems.push(
        'WEBHOOK_PRIVATE_TARGETS: must not be allow in production (webhooks could reach internal services)',
      )
  }
  return problems
}

/** A secret a person typed rather than generated: few distinct characters, or a placeholder word in it. */
export function weakSecret(secret: string): boolean {
  if (new Set(secret).size < 16) return true
  return /(change.?me|secret|password|example|default|flowcard|test|dev)/i.test(secret)
}

function groupProblems(
  env: Record<string, string | undefined>,
  names: readonly string[],
  platform: string,
): string[] {
  const present = names.filter((n) => env[n] !== undefined)
  if (present.length === 0 || present.length === names.length) return []
  return names
    .filter((name) => env[name] === undefined)
    .map(
      (name) =>
        `${name}: required because ${present.join(', ')} ${present.length > 1 ? 'are' : 'is'} set (${platform} variables come together)`,
    )
}

export type Env = z.infer<typeof envSchema>

export class EnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid environment:\n${problems.join('\n')}`)
    this.name = 'EnvError'
  }
}

/** Parses an environment; empty strings count as unset. Throws EnvError with one line per problem. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''))
  const result = envSchema.safeParse(cleaned)
  const problems = result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`)
  problems.push(...crossProblems(cleaned))
  if (result.success && problems.length === 0) return result.data
  throw new EnvError([...new Set(problems)])
}

export const hasFeishu = (env: Env): boolean => env.FEISHU_APP_ID !== undefined
export const hasDingtalk = (env: Env): boolean => env.DINGTALK_CLIENT_ID !== undefined
export const hasS3 = (env: Env): boolean => env.S3_ENDPOINT !== undefined

/** Where this process runs the relay and the job workers (JOBS_MODE resolved against the configuration). */
export const jobsMode = (env: Env): 'child' | 'inline' | 'off' =>
  env.JOBS_MODE === 'auto' ? (env.DATABASE_URL && env.REDIS_URL ? 'child' : 'inline') : env.JOBS_MODE
/**
 * Approval webhooks may target private, loopback and link-local addresses only when asked for, or when the
 * process says outright that it is a development or test one: an unset NODE_ENV is treated as production here.
 */
export const privateWebhookTargetsAllowed = (env: Env): boolean =>
  env.WEBHOOK_PRIVATE_TARGETS === 'allow' ||
  (env.WEBHOOK_PRIVATE_TARGETS === 'auto' && (env.NODE_ENV === 'development' || env.NODE_ENV === 'test'))

/** The address to listen on: loopback while devchat is on, unless HOST says otherwise. */
export const listenHost = (env: Env): string => env.HOST ?? (devchatEnabled(env) ? '127.0.0.1' : '0.0.0.0')

/** devchat lets anyone act as anyone: never on in production unless asked for explicitly. */
export const devchatEnabled = (env: Env): boolean =>
  env.DEVCHAT === 'on' ||
  (env.DEVCHAT === 'auto' && env.NODE_ENV !== 'production' && !hasFeishu(env) && !hasDingtalk(env))
