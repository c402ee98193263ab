import { and, asc, eq, getTableName, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Database, migrateDatabase, openDatabase } from '../../db/client'
import { decodeJsonRow, jsonRowOf } from '../../db/json-rows'
import { departments, fieldHistory, users } from '../../db/schema'
import type { SeededOrg } from '../../db/seed/org'
import { cachedStatement } from '../../db/statement-cache'
import { createTestTenant, openTestDatabase } from '../helpers/db'

function suite(name: string, open: () => Promise<Database>) {
  describe(`cached statements and JSON rows on ${name}`, () => {
    let database: Database
    let org: SeededOrg
    beforeAll(async () => {
      database = await open()
      org = await createTestTenant(database)
    }, 120_000)
    afterAll(async () => {
      await database?.close()
    })

    it('map rows as the query builder does: nested objects, decoders, a left-joined table null when unmatched', async () => {
      const t = org.tenantId
      const skip = Object.keys(org.users).sort()[0] ?? ''
      const skipId = org.users[skip] ?? ''
      const build = (db: Database['db']) =>
        db
          .select({
            u: users,
            d: departments,
            n: sql<number>`length(${users.name})`.mapWith(Number),
            at: users.createdAt,
          })
          .from(users)
          // One user's department is left unmatched: its `d` must be null, not an object of nulls.
          .leftJoin(departments, and(eq(departments.id, users.departmentId), sql`${users.id} <> ${skipId}`))
          .where(eq(users.tenantId, sql.placeholder('t')))
          .orderBy(asc(users.id))
      const direct = await build(database.db).execute({ t })
      const key = `test.users|${Math.random()}`
      const first = await cachedStatement(database.db, key, () =>
        build(database.db).prepare('test_users'),
      ).execute({
        t,
      })
      const again = await cachedStatement(database.db, key, () => {
        throw new Error('built twice')
      }).execute({ t })
      expect(direct.length).toBeGreaterThan(3)
      expect(first).toEqual(direct)
      expect(again).toEqual(direct)
      const skipped = first.find((r) => r.u.id === skipId)
      expect(skipped?.d).toBeNull()
      expect(first.filter((r) => r.d !== null).length).toBeGreaterThan(0)
      expect(first[0]?.at).toBeInstanceOf(Date)
      expect(typeof first[0]?.n).toBe('number')
    })

    it('read a table’s rows as JSON and decode them to what a select gives, JSON values kept as they are', async () => {
      const t = org.tenantId
      const entityId = `cus_json_${Math.random().toString(36).slice(2)}`
      // A JSON string that looks like a number stays a string; an object stays an object.
      await database.db.insert(fieldHistory).values([
        {
          tenantId: t,
          entityType: 'customer',
          entityId,
          field: 'name',
          oldValue: { a: 1 },
          newValue: '123',
          at: new Date('2026-01-02T03:04:05.678Z'),
        },
        {
          tenantId: t,
          entityType: 'customer',
          entityId,
          field: 'tier',
          oldValue: null,
          newValue: [1, 'b'],
          at: new Date('2026-01-03T00:00:00Z'),
        },
      ])
      const direct = await database.db
        .select()
        .from(fieldHistory)
        .where(and(eq(fieldHistory.tenantId, t), eq(fieldHistory.entityId, entityId)))
        .orderBy(asc(fieldHistory.at))
      const [row] = await database.db
        .select({
          list: sql<
            Array<Record<string, unknown>>
          >`(select json_agg(s.j) from (select ${jsonRowOf(fieldHistory)} as j
            from ${sql.identifier(getTableName(fieldHistory))}
            where ${fieldHistory.tenantId} = ${t} and ${fieldHistory.entityId} = ${entityId}
            order by ${fieldHistory.at}) s)`,
        })
        .from(sql`(select 1) one`)
      const decoded = (row?.list ?? []).map((x) => decodeJsonRow(fieldHistory, x))
      // The one difference: the ORM's select parses a jsonb string again ("123" → 123); the JSON row keeps
      // the value that was written.
      expect(direct[0]?.newValue).toBe(123)
      expect(decoded).toEqual(direct.map((r, i) => (i === 0 ? { ...r, newValue: '123' } : r)))
      expect(decoded[0]?.newValue).toBe('123')
      expect(decoded[0]?.at).toEqual(new Date('2026-01-02T03:04:05.678Z'))
      const [people] = await database.db
        .select({
          list: sql<
            Array<Record<string, unknown>>
          >`(select json_agg(${jsonRowOf(users)} order by ${users.id}) from ${users} where ${users.tenantId} = ${t})`,
        })
        .from(sql`(select 1) one`)
      expect((people?.list ?? []).map((x) => decodeJsonRow(users, x))).toEqual(
        await database.db.select().from(users).where(eq(users.tenantId, t)).orderBy(asc(users.id)),
      )
    })
  })
}

suite('the test database', openTestDatabase)
suite('PGlite', async () => {
  const database = await openDatabase({ dataDir: 'memory://' })
  await migrateDatabase(database)
  return database
})
