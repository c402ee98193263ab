import { describe, expect, it } from 'vitest'
import { EnvError, parseEnv } from './env'

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
    [{ NODE_ENV: 'production' }, 'SESSION_SECRET: required in production'],
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

  it('reports several problems at once, one line each', () => {
    expect(problemsOf({ PORT: 'x', REDIS_URL: 'nope' })).toHaveLength(2)
  })
})
