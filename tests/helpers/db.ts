import { inject } from 'vitest'
import { newId } from '../../bot/lib/ids'
import { type Database, migrateDatabase, openDatabase } from '../../db/client'
import type { Platform } from '../../db/schema'
import { demoOrg } from '../../db/seed/demo'
import { type OrgSpec, type SeededOrg, seedOrg } from '../../db/seed/org'

/**
 * The run's test database: real PostgreSQL (a fresh database per run, see tests/setup/global.ts), or an
 * in-memory PGlite when PostgreSQL is absent outside CI.
 */
export async function openTestDatabase(): Promise<Database> {
  const url = inject('databaseUrl')
  if (url) return openDatabase({ url, max: 5 })
  const database = await openDatabase({ dataDir: 'memory://' })
  await migrateDatabase(database)
  return database
}

/** A fresh tenant with the demo org shape (unique keys), so tests never see each other's rows. */
export async function createTestTenant(
  database: Database,
  options: { platform?: Platform; tenantKey?: string; spec?: OrgSpec } = {},
): Promise<SeededOrg> {
  return database.db.transaction((tx) =>
    seedOrg(tx, options.spec ?? demoOrg, {
      name: 'test tenant',
      platform: options.platform ?? 'devchat',
      tenantKey: options.tenantKey ?? newId('tk'),
    }),
  )
}

export const redisUrl = (): string => inject('redisUrl')
