import { z } from 'zod'

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
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce
    .number({ message: 'expected a port number' })
    .int({ message: 'expected a whole port number' })
    .min(1, { message: 'expected a port between 1 and 65535' })
    .max(65535, { message: 'expected a port between 1 and 65535' })
    .default(3000),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { message: 'expected a postgres:// or postgresql:// URL' })
    .optional(),
  DATA_DIR: z.string().default('.data'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, { message: 'expected a redis:// or rediss:// URL' })
    .optional(),
  PUBLIC_URL: url('an absolute http(s) URL such as https://flowcard.example.com').optional(),
  SESSION_SECRET: z
    .string()
    .min(32, { message: 'expected at least 32 characters of random secret' })
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Seed the demo tenant when the database is empty (default on for the embedded database). */
  SEED_DEMO: z.enum(['auto', 'true', 'false']).default('auto'),
  /** The devchat simulator: `auto` = on when no chat platform is configured, outside production. */
  DEVCHAT: z.enum(['auto', 'on', 'off'], { message: "expected 'auto', 'on' or 'off'" }).default('auto'),
  /**
   * Approval webhooks to private, loopback or link-local addresses: `auto` = refused in production (an admin
   * could otherwise point one at an internal service or the cloud metadata endpoint), allowed elsewhere.
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
  if (env.NODE_ENV === 'production' && !env.SESSION_SECRET)
    problems.push('SESSION_SECRET: required in production')
  return problems
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

/** devchat lets anyone act as anyone: never on in production unless asked for explicitly. */
export const devchatEnabled = (env: Env): boolean =>
  env.DEVCHAT === 'on' ||
  (env.DEVCHAT === 'auto' && env.NODE_ENV !== 'production' && !hasFeishu(env) && !hasDingtalk(env))
