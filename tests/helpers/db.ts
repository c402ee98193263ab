import postgres from 'postgres'
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
  const url = testDatabaseUrl()
  if (url) return openDatabase({ url, max: 5 })
  const database = await openDatabase({ dataDir: 'memory://' })
  await migrateDatabase(database)
  return database
}

/**
 * This test worker's PostgreSQL database URL ('' when PostgreSQL is absent outside CI). Test files run in
 * parallel, each worker on a database of its own (tests/setup/global.ts), picked by `VITEST_POOL_ID`.
 */
export function testDatabaseUrl(): string {
  const urls = inject('databaseUrls') ?? []
  if (urls.length === 0) return ''
  const pool = Number(process.env.VITEST_POOL_ID ?? '1')
  const index = Number.isInteger(pool) && pool >= 1 ? (pool - 1) % urls.length : 0
  return urls[index] as string
}

/** The server's maintenance database URL beside `url` (for CREATE/DROP DATABASE). */
export function adminUrlOf(url: string): string {
  const admin = new URL(url)
  admin.pathname = '/postgres'
  return admin.toString()
}

/**
 * A new, migrated PostgreSQL database of the caller's own, copied from the run's template (a copy takes a
 * fraction of a second; migrating anew takes seconds). Returns its URL and how to drop it.
 */
export async function createOwnDatabase(prefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const template = inject('databaseTemplateUrl')
  if (!template) throw new Error('createOwnDatabase needs PostgreSQL (no template database in this run)')
  const name = `${prefix}_${Date.now()}_${process.pid}_${Math.floor(Math.random() * 1e6)}`
  const admin = postgres(adminUrlOf(template), { max: 1, onnotice: () => {} })
  const templateName = new URL(template).pathname.slice(1)
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.unsafe(`create database ${name} template ${templateName}`)
      break
    } catch (err) {
      // Two copies of one template at the same instant: PostgreSQL refuses the second ("being accessed").
      if (attempt >= 20 || !String(err).includes('being accessed')) {
        await admin.end({ timeout: 1 })
        throw err
      }
      await new Promise((r) => setTimeout(r, 50 * attempt))
    }
  }
  const url = new URL(template)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`)
      await admin.end({ timeout: 5 })
    },
  }
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
