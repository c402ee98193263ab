import { sql } from 'drizzle-orm'
import {
  isSealed,
  openSecret,
  type SecretKeyring,
  type SecretPurpose,
  sealedKeyId,
  sealSecret,
} from '../bot/lib/secret-box'
import type { Database } from '../db/client'

/** The columns that hold secrets of other systems, sealed at rest (`bot/lib/secret-box.ts`). */
const SEALED_COLUMNS: Array<{ table: string; purpose: SecretPurpose }> = [
  { table: 'approval_external_systems', purpose: 'external-system' },
  { table: 'crm_lead_channels', purpose: 'lead-channel' },
]

export interface ResealReport {
  /** Plaintext values (from before encryption) now sealed. */
  sealed: number
  /** Values moved from an older key to the current one. */
  rekeyed: number
  /** Values naming a key the keyring lacks, by key id (left as they are). */
  unreadable: Record<string, number>
}

/**
 * Seals every plaintext secret and re-seals every value sealed under a key other than the current one, so
 * an old key can be dropped from `ENCRYPTION_KEYS` afterwards. Runs at boot after the migrations (this is
 * the migration that encrypts rows stored before encryption) and as `npm run secrets:reseal` after a key
 * rotation. Each row is updated only if it still holds what was read, so a secret rotated meanwhile by an
 * admin is never overwritten; running it twice, or on several instances at once, is harmless.
 */
export async function resealSecrets(database: Database, keyring: SecretKeyring): Promise<ResealReport> {
  const report: ResealReport = { sealed: 0, rekeyed: 0, unreadable: {} }
  const current = `fc1.${keyring.current}.%`
  for (const { table, purpose } of SEALED_COLUMNS) {
    const rows = await database.rows<{ id: string; secret: string | null; previous_secret: string | null }>(
      sql`select id, secret, previous_secret from ${sql.identifier(table)}
          where (secret is not null and secret not like ${current})
             or (previous_secret is not null and previous_secret not like ${current})`,
    )
    for (const row of rows) {
      const next: Array<string | null> = []
      let changed = false
      for (const value of [row.secret, row.previous_secret]) {
        if (value === null || sealedKeyId(value) === keyring.current) {
          next.push(value)
          continue
        }
        const keyId = sealedKeyId(value)
        if (keyId !== null && !keyring.keys.has(keyId)) {
          report.unreadable[keyId] = (report.unreadable[keyId] ?? 0) + 1
          next.push(value)
          continue
        }
        next.push(await sealSecret(await openSecret(value, purpose, keyring), purpose, keyring))
        if (isSealed(value)) report.rekeyed++
        else report.sealed++
        changed = true
      }
      if (!changed) continue
      await database.db.execute(
        sql`update ${sql.identifier(table)} set secret = ${next[0] ?? null}, previous_secret = ${next[1] ?? null}
            where id = ${row.id} and secret is not distinct from ${row.secret}
              and previous_secret is not distinct from ${row.previous_secret}`,
      )
    }
  }
  return report
}
