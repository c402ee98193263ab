import { sql } from 'drizzle-orm'
import postgres from 'postgres'
import { type Database, migrateDatabase, openDatabase } from '../../db/client'
import { median } from './stats'

const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** A throwaway PostgreSQL database for one bench run (UTF-8, C.UTF-8), migrated; `drop()` removes it. */
export async function createBenchDatabase(
  label: string,
  max = 10,
): Promise<{ database: Database; url: string; drop(): Promise<void>; keep(): Promise<void> }> {
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} })
  const name = `flowcard_bench_${label}_${Date.now()}`
  await admin.unsafe(
    `create database ${name} template template0 encoding 'UTF8' lc_collate 'C.UTF-8' lc_ctype 'C.UTF-8'`,
  )
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  const database = await openDatabase({ url: url.toString(), max })
  await migrateDatabase(database)
  return {
    database,
    url: url.toString(),
    drop: async () => {
      await database.close()
      await admin.unsafe(`drop database if exists ${name} with (force)`)
      await admin.end()
    },
    /** Closes the connections and leaves the database in place (a bench's KEEP mode): the process can exit. */
    keep: async () => {
      await database.close()
      await admin.end()
    },
  }
}

/**
 * Outbox rows a tenant wrote since `since`: the notifications (each carries a frozen view) and, as the
 * baseline, the rows that carry ids only (hooks, reminders); JSON size medians in bytes, and stored size.
 */
export async function outboxRowSizes(database: Database, tenantId: string, since: Date) {
  const rows = await database.rows<{ has_view: boolean; json: number; stored: number }>(sql`
    select (payload ? 'view' or coalesce(payload -> 'content' ? 'view', false)) as has_view,
           octet_length(payload::text) as json, pg_column_size(o.*) as stored
    from outbox o where tenant_id = ${tenantId} and created_at >= ${since.toISOString()}::timestamptz`)
  const views = rows.filter((r) => r.has_view)
  const idsOnly = rows.filter((r) => !r.has_view)
  const med = (xs: number[]) => median(xs.map(Number))
  return {
    notifications: views.length,
    notificationJson: med(views.map((r) => r.json)),
    notificationStored: med(views.map((r) => r.stored)),
    idOnly: idsOnly.length,
    idOnlyJson: med(idsOnly.map((r) => r.json)),
  }
}
