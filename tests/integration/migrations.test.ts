import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { type Database, migrateDatabase, openDatabase } from '../../db/client'
import { openTestDatabase } from '../helpers/db'

/** A comparable description of the public schema: tables, columns, indexes, constraints, triggers. */
async function describeSchema(database: Database) {
  const columns = await database.rows<{
    t: string
    c: string
    type: string
    nullable: string
    def: string | null
  }>(sql`
    select table_name as t, column_name as c, data_type as type, is_nullable as nullable, column_default as def
    from information_schema.columns where table_schema = 'public' order by 1, 2`)
  const indexes = await database.rows<{ name: string; def: string }>(sql`
    select indexname as name, indexdef as def from pg_indexes where schemaname = 'public' order by 1`)
  const constraints = await database.rows<{ name: string; type: string }>(sql`
    select conname as name, contype::text as type from pg_constraint c
    join pg_namespace n on n.oid = c.connamespace where n.nspname = 'public' and c.contype <> 'n' order by 1`)
  const triggers = await database.rows<{ name: string; t: string }>(sql`
    select trigger_name as name, event_object_table as t from information_schema.triggers
    where trigger_schema = 'public' order by 1, 2`)
  const enums = await database.rows<{ name: string; label: string }>(sql`
    select t.typname as name, e.enumlabel as label from pg_enum e join pg_type t on t.oid = e.enumtypid
    order by 1, e.enumsortorder`)
  return { columns, indexes, constraints, triggers, enums }
}

describe('migrations', () => {
  it('produce the same schema on PGlite and PostgreSQL', async () => {
    const pg = await openTestDatabase()
    const lite = await openDatabase({ dataDir: 'memory://' })
    try {
      await migrateDatabase(lite)
      const [a, b] = await Promise.all([describeSchema(pg), describeSchema(lite)])
      expect(a.columns.length).toBeGreaterThan(30)
      expect(b).toEqual(a)
    } finally {
      await Promise.all([pg.close(), lite.close()])
    }
  })

  it('are idempotent: applying them twice changes nothing', async () => {
    const lite = await openDatabase({ dataDir: 'memory://' })
    try {
      await migrateDatabase(lite)
      const before = await describeSchema(lite)
      await migrateDatabase(lite)
      expect(await describeSchema(lite)).toEqual(before)
    } finally {
      await lite.close()
    }
  })

  it('keep the audit log append-only', async () => {
    const database = await openTestDatabase()
    try {
      await database.db.execute(sql`
        insert into audit_log (tenant_id, actor_kind, action, target_type, target_id)
        values ('ten_x', 'system', 'test', 'thing', 't1')`)
      await expect(
        database.db.execute(sql`update audit_log set action = 'x' where tenant_id = 'ten_x'`),
      ).rejects.toThrow()
      await expect(
        database.db.execute(sql`delete from audit_log where tenant_id = 'ten_x'`),
      ).rejects.toThrow()
    } finally {
      await database.close()
    }
  })
})
