import postgres from 'postgres'
import { type Database, migrateDatabase, openDatabase } from '../../db/client'

const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** A throwaway PostgreSQL database for one bench run (UTF-8, C.UTF-8), migrated; `drop()` removes it. */
export async function createBenchDatabase(
  label: string,
  max = 10,
): Promise<{ database: Database; url: string; drop(): Promise<void> }> {
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
  }
}
