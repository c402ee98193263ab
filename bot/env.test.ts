import { describe, expect, it } from 'vitest'
import { EnvError, jobsMode, listenHost, parseEnv, privateWebhookTargetsAllowed } from './env'

const KEYS = 'k1:2n3oqUjzB1cAvT0mRtIr0rP4lGkQ3d3KfP1jv4Z8S9w='
const problemsOf = (env: Record<string, string>): string[] => {
  try {
    parseEnv(env)
  } catch (err) {
    if (err instanceof EnvError) return err.problems
    throw err
  }
  return []
}

const feishu = {
  FEISHU_APP_ID: 'cli_0123456789abcdef',
  FEISHU_APP_SECRET: 's',
  FEISHU_VERIFICATION_TOKEN: 'v',
  FEISHU_ENCRYPT_KEY: 'e',
}

describe('parseEnv', () => {
  it('accepts an empty environment with embedded defaults', () => {
    const env = parseEnv({})
    expect(env.PORT).toBe(3000)
    expect(env.DATABASE_URL).toBeUndefined()
    expect(env.FEISHU_MODE).toBe('webhook')
  })

  it('treats empty strings as unset', () => {
    expect(parseEnv({ DATABASE_URL: '', REDIS_URL: '' }).DATABASE_URL).toBeUndefined()
  })

  it.each([
    [{ PORT: 'abc' }, 'PORT: expected a port number'],
    [{ PORT: '70000' }, 'PORT: expected a port between 1 and 65535'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL: expected a postgres:// or postgresql:// URL'],
    [{ REDIS_URL: 'http://x' }, 'REDIS_URL: expected a redis:// or rediss:// URL'],
    [
      { PUBLIC_URL: 'not a url' },
      'PUBLIC_URL: expected an absolute http(s) URL such as https://flowcard.example.com',
    ],
    [{ SESSION_SECRET: 'short' }, 'SESSION_SECRET: expected at least 32 characters of random secret'],
    [{ ...feishu, FEISHU_MODE: 'grpc' }, "FEISHU_MODE: expected 'webhook' or 'ws'"],
    [{ ...feishu, FEISHU_APP_ID: 'app_1' }, 'FEISHU_APP_ID: expected a Feishu app id starting with cli_'],
    [{ NODE_ENV: 'production', ENCRYPTION_KEYS: KEYS }, 'SESSION_SECRET: required in production'],
    [
      { NODE_ENV: 'production', SESSION_SECRET: 'q8Xv2LmZ0rT5yN7wK1pB4cH6jD9fG3sA' },
      'ENCRYPTION_KEYS: required in production (stored secrets are encrypted with it), e.g. k1:$(openssl rand -base64 32)',
    ],
    [
      { ENCRYPTION_KEYS: 'k1:c2hvcnQ=' },
      'ENCRYPTION_KEYS: key "k1" must be 32 random bytes in base64 (openssl rand -base64 32)',
    ],
    [{ ENCRYPTION_KEYS: `${KEYS},k1:${KEYS.slice(3)}` }, 'ENCRYPTION_KEYS: key id "k1" is listed twice'],
  ])('names the variable and what it expects: %o', (env, line) => {
    expect(problemsOf(env)).toEqual([line])
  })

  it('requires the Feishu variables as a group', () => {
    const problems = problemsOf({ FEISHU_APP_ID: 'cli_0123456789abcdef' })
    expect(problems).toEqual([
      'FEISHU_APP_SECRET: required because FEISHU_APP_ID is set (Feishu variables come together)',
      'FEISHU_VERIFICATION_TOKEN: required because FEISHU_APP_ID is set (Feishu variables come together)',
      'FEISHU_ENCRYPT_KEY: required because FEISHU_APP_ID is set (Feishu variables come together)',
    ])
  })

  it('accepts a complete Feishu group', () => {
    expect(parseEnv(feishu).FEISHU_APP_ID).toBe('cli_0123456789abcdef')
  })

  const s3 = {
    S3_ENDPOINT: 'https://s3.cn-north-1.amazonaws.com.cn',
    S3_BUCKET: 'flowcard-photos',
    S3_ACCESS_KEY_ID: 'AKIAEXAMPLE',
    S3_SECRET_ACCESS_KEY: 'super-secret-value',
  }

  it('requires the S3 variables as a group and never echoes the secret', () => {
    const problems = problemsOf({ S3_SECRET_ACCESS_KEY: 'super-secret-value' })
    expect(problems).toEqual([
      'S3_ENDPOINT: required because S3_SECRET_ACCESS_KEY is set (S3 variables come together)',
      'S3_BUCKET: required because S3_SECRET_ACCESS_KEY is set (S3 variables come together)',
      'S3_ACCESS_KEY_ID: required because S3_SECRET_ACCESS_KEY is set (S3 variables come together)',
    ])
    expect(problems.join('\n')).not.toContain('super-secret-value')
    expect(problemsOf({ S3_REGION: 'cn-north-1' })).toEqual([
      'S3_REGION: set without S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY (S3 is not configured)',
    ])
  })

  it.each([
    [
      { ...s3, S3_ENDPOINT: 'minio:9000' },
      'S3_ENDPOINT: expected an absolute http(s) URL such as https://s3.cn-north-1.amazonaws.com.cn',
    ],
    [
      { ...s3, S3_BUCKET: 'Photos_2026' },
      'S3_BUCKET: expected a bucket name: 3-63 lowercase letters, digits, dots and hyphens',
    ],
    [{ ...s3, S3_REGION: 'CN North' }, 'S3_REGION: expected a region such as cn-north-1, us-east-1 or auto'],
    [{ ...s3, S3_FORCE_PATH_STYLE: 'yes' }, "S3_FORCE_PATH_STYLE: expected 'true' or 'false'"],
  ])('checks each S3 variable: %o', (env, line) => {
    expect(problemsOf(env)).toEqual([line])
  })

  it('accepts a complete S3 group', () => {
    const env = parseEnv({ ...s3, S3_REGION: 'cn-north-1', S3_FORCE_PATH_STYLE: 'true' })
    expect(env).toMatchObject({ S3_BUCKET: 'flowcard-photos', S3_FORCE_PATH_STYLE: 'true' })
  })

  it('reports several problems at once, one line each', () => {
    expect(problemsOf({ PORT: 'x', REDIS_URL: 'nope' })).toHaveLength(2)
  })

  it('runs jobs in child processes by default only with PostgreSQL and Redis', () => {
    const pg = 'postgres://postgres@127.0.0.1:5432/x'
    const redis = 'redis://127.0.0.1:6379'
    expect(jobsMode(parseEnv({}))).toBe('inline')
    expect(jobsMode(parseEnv({ DATABASE_URL: pg }))).toBe('inline')
    expect(jobsMode(parseEnv({ DATABASE_URL: pg, REDIS_URL: redis }))).toBe('child')
    expect(jobsMode(parseEnv({ DATABASE_URL: pg, REDIS_URL: redis, JOBS_MODE: 'inline' }))).toBe('inline')
    expect(jobsMode(parseEnv({ DATABASE_URL: pg, REDIS_URL: redis, JOBS_MODE: 'off' }))).toBe('off')
  })

  it('refuses child job processes without PostgreSQL and Redis, and a bad mode or count', () => {
    expect(problemsOf({ JOBS_MODE: 'child' })).toEqual([
      'JOBS_MODE: child needs DATABASE_URL and REDIS_URL (the embedded database and the in-process queue live in one process)',
    ])
    expect(problemsOf({ JOBS_MODE: 'off', REDIS_URL: 'redis://127.0.0.1:6379' })).toEqual([
      'JOBS_MODE: off needs DATABASE_URL and REDIS_URL (jobs run by `npm run worker` elsewhere share them)',
    ])
    expect(problemsOf({ JOBS_MODE: 'threads' })).toEqual([
      "JOBS_MODE: expected 'auto', 'child', 'inline' or 'off'",
    ])
    expect(problemsOf({ JOBS_PROCESSES: '0' })).toEqual([
      'JOBS_PROCESSES: expected between 1 and 64 processes',
    ])
    expect(problemsOf({ JOBS_NICE: '20' })).toEqual(['JOBS_NICE: expected a nice value between 0 and 19'])
    expect(parseEnv({}).JOBS_NICE).toBe(10)
  })

  it('allows private webhook targets only when asked, or in an explicit development or test process', () => {
    expect(privateWebhookTargetsAllowed(parseEnv({}))).toBe(false)
    expect(privateWebhookTargetsAllowed(parseEnv({ NODE_ENV: 'development' }))).toBe(true)
    expect(privateWebhookTargetsAllowed(parseEnv({ NODE_ENV: 'test' }))).toBe(true)
    expect(privateWebhookTargetsAllowed(parseEnv({ WEBHOOK_PRIVATE_TARGETS: 'allow' }))).toBe(true)
    expect(
      privateWebhookTargetsAllowed(parseEnv({ NODE_ENV: 'test', WEBHOOK_PRIVATE_TARGETS: 'deny' })),
    ).toBe(false)
  })

  it('listens on loopback while devchat is on, unless HOST says otherwise', () => {
    expect(listenHost(parseEnv({}))).toBe('127.0.0.1')
    expect(listenHost(parseEnv({ HOST: '0.0.0.0' }))).toBe('0.0.0.0')
    expect(listenHost(parseEnv(feishu))).toBe('0.0.0.0')
  })

  it('refuses a weak session secret, devchat and private webhook targets in production with a platform', () => {
    const prod = { ...feishu, NODE_ENV: 'production', ENCRYPTION_KEYS: KEYS }
    expect(problemsOf({ ...prod, SESSION_SECRET: 'a'.repeat(40) })).toEqual([
      'SESSION_SECRET: too weak for production (use 32+ random characters, e.g. `openssl rand -base64 48`)',
    ])
    expect(problemsOf({ ...prod, SESSION_SECRET: 'q8Xv2LmZ0rT5yN7wK1pB4cH6jD9fG3sA' })).toEqual([])
    expect(
      problemsOf({ ...prod, SESSION_SECRET: 'q8Xv2LmZ0rT5yN7wK1pB4cH6jD9fG3sA', DEVCHAT: 'on' }),
    ).toHaveLength(1)
    // Without a platform, devchat on stays a developer's choice.
    expect(
      problemsOf({
        NODE_ENV: 'production',
        ENCRYPTION_KEYS: KEYS,
        SESSION_SECRET: 'q8Xv2LmZ0rT5yN7wK1pB4cH6jD9fG3sA',
        DEVCHAT: 'on',
      }),
    ).toEqual([])
  })
})
