import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'

describe('process start with a bad environment', () => {
  it('exits with code 1 and prints one line per problem, without secrets', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'bot/entry/node.ts'], {
      env: {
        PATH: process.env.PATH,
        PORT: 'abc',
        FEISHU_APP_ID: 'cli_0123456789abcdef',
        FEISHU_APP_SECRET: 'top-secret-value',
      },
      encoding: 'utf8',
      timeout: 20_000,
    })
    expect(result.status).toBe(1)
    const lines = result.stderr.trim().split('\n')
    expect(lines[0]).toBe('flowcard cannot start: invalid configuration')
    expect(lines.slice(1).map((l) => l.trim())).toEqual([
      'PORT: expected a port number',
      'FEISHU_VERIFICATION_TOKEN: required because FEISHU_APP_ID, FEISHU_APP_SECRET are set (Feishu variables come together)',
      'FEISHU_ENCRYPT_KEY: required because FEISHU_APP_ID, FEISHU_APP_SECRET are set (Feishu variables come together)',
    ])
    expect(result.stderr + result.stdout).not.toContain('top-secret-value')
  })

  it('refuses to start in production with a chat platform and an unsafe setting, naming each', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'bot/entry/node.ts'], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        FEISHU_APP_ID: 'cli_0123456789abcdef',
        FEISHU_APP_SECRET: 'top-secret-value',
        FEISHU_VERIFICATION_TOKEN: 'verification-token',
        FEISHU_ENCRYPT_KEY: 'encrypt-key',
        SESSION_SECRET: 'changeme-changeme-changeme-changeme',
        DEVCHAT: 'on',
        WEBHOOK_PRIVATE_TARGETS: 'allow',
      },
      encoding: 'utf8',
      timeout: 20_000,
    })
    expect(result.status).toBe(1)
    const lines = result.stderr
      .trim()
      .split('\n')
      .map((l) => l.trim())
    expect(lines[0]).toBe('flowcard cannot start: invalid configuration')
    expect(lines.slice(1).map((l) => l.split(':')[0])).toEqual([
      'ENCRYPTION_KEYS',
      'SESSION_SECRET',
      'DEVCHAT',
      'WEBHOOK_PRIVATE_TARGETS',
    ])
    expect(result.stderr + result.stdout).not.toContain('changeme-changeme')
    expect(result.stderr + result.stdout).not.toContain('top-secret-value')

    const missing = spawnSync(process.execPath, ['--import', 'tsx', 'bot/entry/node.ts'], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        FEISHU_APP_ID: 'cli_0123456789abcdef',
        FEISHU_APP_SECRET: 'top-secret-value',
        FEISHU_VERIFICATION_TOKEN: 'verification-token',
        FEISHU_ENCRYPT_KEY: 'encrypt-key',
      },
      encoding: 'utf8',
      timeout: 20_000,
    })
    expect(missing.status).toBe(1)
    expect(missing.stderr).toContain('SESSION_SECRET: required in production')
    expect(missing.stderr).toContain('ENCRYPTION_KEYS: required in production')
  })
})
