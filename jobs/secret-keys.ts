import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Env } from '../bot/env'
import type { AppLogger } from '../bot/lib/logger'
import {
  installSecretKeys,
  newEncryptionKey,
  parseEncryptionKeys,
  type SecretKeyring,
} from '../bot/lib/secret-box'

/** The key id of the key generated into DATA_DIR when `ENCRYPTION_KEYS` is not set (never in production). */
export const LOCAL_KEY_ID = 'local'

/**
 * Installs this process's keyring for stored secrets: `ENCRYPTION_KEYS` when set (production requires it,
 * `bot/env.ts`), else a key generated once into `DATA_DIR/encryption-key` (mode 0600), with a loud warning:
 * whoever copies that folder has the key, and processes with other data folders cannot open what this one
 * sealed. The key itself is never logged.
 */
export function installKeysFromEnv(env: Env, logger: AppLogger): SecretKeyring {
  if (env.ENCRYPTION_KEYS) {
    const ring = parseEncryptionKeys(env.ENCRYPTION_KEYS)
    // bot/env.ts has validated the value already.
    if (typeof ring === 'string') throw new Error(`ENCRYPTION_KEYS: ${ring}`)
    installSecretKeys(ring)
    return ring
  }
  const file = resolve(env.DATA_DIR, 'encryption-key')
  if (!existsSync(file)) {
    mkdirSync(env.DATA_DIR, { recursive: true })
    // Written aside and linked into place, so a process starting at the same moment never reads half a file;
    // when another process of this data folder linked its key first, that one is used.
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, `${LOCAL_KEY_ID}:${newEncryptionKey()}\n`, { mode: 0o600 })
    chmodSync(tmp, 0o600)
    try {
      linkSync(tmp, file)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    } finally {
      unlinkSync(tmp)
    }
  }
  const ring = parseEncryptionKeys(readFileSync(file, 'utf8'))
  if (typeof ring === 'string') throw new Error(`${file}: ${ring}`)
  logger.warn(
    { keyFile: file },
    '!!! ENCRYPTION_KEYS is not set: stored secrets (external systems, lead intake) are encrypted with a key generated into DATA_DIR. Fine for trying flowcard out; for a real deployment set ENCRYPTION_KEYS=k1:$(openssl rand -base64 32) (production refuses to start without it) !!!',
  )
  installSecretKeys(ring)
  return ring
}
