import { resolve } from 'node:path'
import { envOrExit } from '../bot/entry/env-or-exit'
import { createLogger } from '../bot/lib/logger'
import { migrateDatabase, openDatabase } from '../db/client'
import { resealSecrets } from './reseal-secrets'
import { installKeysFromEnv } from './secret-keys'

/**
 * `npm run secrets:reseal`: after putting a new key first in `ENCRYPTION_KEYS` (old keys after it) on every
 * instance, moves every stored secret to the new key and prints the counts. When it reports nothing
 * unreadable, the old keys can be removed from `ENCRYPTION_KEYS`. Boot does the same, this is to run it
 * (and see the result) without restarting.
 */
const env = envOrExit()
const logger = createLogger(env.LOG_LEVEL)
const keyring = installKeysFromEnv(env, logger)
const database = await openDatabase({ url: env.DATABASE_URL, dataDir: resolve(env.DATA_DIR, 'pglite') })
await migrateDatabase(database)
const report = await resealSecrets(database, keyring)
await database.close()
const unreadable = Object.entries(report.unreadable)
console.log(
  `sealed ${report.sealed} plaintext, re-sealed ${report.rekeyed} under key "${keyring.current}"` +
    (unreadable.length
      ? `; unreadable (key not in ENCRYPTION_KEYS): ${unreadable.map(([k, n]) => `${k}×${n}`).join(', ')}`
      : '; nothing left under another key'),
)
process.exitCode = unreadable.length ? 1 : 0
