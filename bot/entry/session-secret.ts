import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'

/**
 * Without SESSION_SECRET (local use), a random secret is generated once and kept in DATA_DIR so mini-app
 * sessions survive restarts. Production requires SESSION_SECRET (checked in env.ts).
 */
export function localSessionSecret(dataDir: string): string {
  const file = resolve(dataDir, 'session-secret')
  if (existsSync(file)) return readFileSync(file, 'utf8').trim()
  mkdirSync(dataDir, { recursive: true })
  const secret = randomBytes(32).toString('base64url')
  writeFileSync(file, secret, { mode: 0o600 })
  chmodSync(file, 0o600)
  return secret
}
