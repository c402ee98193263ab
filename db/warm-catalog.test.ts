import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { migrateDatabase, openDatabase, warmEmbeddedCatalog } from './client'

describe('warmEmbeddedCatalog', () => {
  it('reads every table of the schema once, on the embedded database, and answers interactive statements meanwhile', async () => {
    const database = await openDatabase({ dataDir: 'memory://' })
    try {
      await migrateDatabase(database)
      const [all] = await database.rows<{ n: number }>(
        sql`select count(*)::int as n from pg_tables where schemaname = 'public'`,
      )
      expect(all?.n).toBeGreaterThan(50)
      const warming = warmEmbeddedCatalog(database)
      let warmed = false
      void warming.then(() => {
        warmed = true
      })
      // A request while the catalog warms is answered before the warm-up ends (one statement at a time,
      // each in the background lane).
      await database.db.execute(sql`select 1`)
      expect(warmed).toBe(false)
      expect(await warming).toBe(all?.n)
    } finally {
      await database.close()
    }
  }, 120_000) // opening and migrating PGlite takes seconds when the whole suite shares the cores
})
