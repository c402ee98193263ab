import { and, asc, eq, type SQL, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Database, migrateDatabase, openDatabase, rowsOf } from '../../db/client'
import { tenants, users } from '../../db/schema'
import type { SeededOrg } from '../../db/seed/org'
import { bound, reusable, reusableSql } from '../../db/statement'
import { createTestTenant, openTestDatabase } from '../helpers/db'

const usersOf = reusable((db) =>
  db
    .select()
    .from(users)
    .where(eq(users.tenantId, sql.placeholder('tenantId')))
    .orderBy(asc(users.id)),
)

/** Written as SQL: the names of a tenant's users given as a JSON list, in the list's order. */
const namesOf = reusableSql(
  () => sql`select u.name from jsonb_array_elements_text(${sql.placeholder('ids')}::jsonb) with ordinality as x(id, n)
            join users u on u.id = x.id and u.tenant_id = ${sql.placeholder('tenantId')} order by x.n`,
)

/** The shape `e` sets the English name, else it is cleared; the update time is a date bound to its column. */
const rename = reusable((db, shape) =>
  db
    .update(users)
    .set({
      name: bound('name', users.name),
      enName: shape.includes('e') ? bound('enName', users.enName) : sql`null`,
      updatedAt: bound('at', users.updatedAt),
    })
    .where(and(eq(users.tenantId, sql.placeholder('tenantId')), eq(users.id, sql.placeholder('id'))))
    .returning(),
)

function suite(name: string, open: () => Promise<Database>) {
  describe(`reusable statements on ${name}`, () => {
    let database: Database
    let a: SeededOrg
    let b: SeededOrg
    beforeAll(async () => {
      database = await open()
      a = await createTestTenant(database)
      b = await createTestTenant(database)
    }, 120_000)
    afterAll(async () => {
      await database?.close()
    })

    it('return what the query builder returns, for each call its own values, on the database and in a transaction', async () => {
      const direct = (tenantId: string) =>
        database.db.select().from(users).where(eq(users.tenantId, tenantId)).orderBy(asc(users.id))
      const ofA = await usersOf(database.db, { tenantId: a.tenantId })
      expect(ofA.length).toBeGreaterThan(3)
      expect(ofA).toEqual(await direct(a.tenantId))
      expect(ofA[0]?.createdAt).toBeInstanceOf(Date)
      // The second call reuses the statement built by the first, with the other tenant's id.
      const ofB = await database.db.transaction((tx) => usersOf(tx, { tenantId: b.tenantId }))
      expect(ofB).toEqual(await direct(b.tenantId))
      expect(ofB.every((u) => u.tenantId === b.tenantId)).toBe(true)
    })

    it('encode values as the column does and write null for a shape that clears a column', async () => {
      const id = a.users.zhangwei ?? ''
      const at = new Date(Date.now() - 86_400_000)
      const [named] = await rename(
        database.db,
        { tenantId: a.tenantId, id, name: '张伟', enName: 'Zhang Wei', at },
        'e',
      )
      expect(named).toMatchObject({ id, name: '张伟', enName: 'Zhang Wei', updatedAt: at })
      const [cleared] = await database.db.transaction((tx) =>
        rename(tx, { tenantId: a.tenantId, id, name: '张伟', at }, ''),
      )
      expect(cleared?.enName).toBeNull()
      const [row] = await database.db.select().from(users).where(eq(users.id, id))
      expect(row).toEqual(cleared)
      // Another tenant's id matches nothing: the tenant is a value of the call, not of the statement.
      expect(await rename(database.db, { tenantId: b.tenantId, id, name: 'x', at }, '')).toEqual([])
    })

    it('written as SQL, run with each call’s values, on the database and in a transaction', async () => {
      const ids = [a.users.zhangwei ?? '', a.users.liuyang ?? '']
      const names = (rows: unknown) => rowsOf<{ name: string }>(rows).map((r) => r.name)
      expect(names(await namesOf(database.db, { ids: JSON.stringify(ids), tenantId: a.tenantId }))).toEqual([
        '张伟',
        '刘洋',
      ])
      const reversed = await database.db.transaction((tx) =>
        namesOf(tx, { ids: JSON.stringify([...ids].reverse()), tenantId: a.tenantId }),
      )
      expect(names(reversed)).toEqual(['刘洋', '张伟'])
      expect(names(await namesOf(database.db, { ids: JSON.stringify(ids), tenantId: b.tenantId }))).toEqual(
        [],
      )
      const leaky = reusableSql(() => sql`select name from users where tenant_id = ${a.tenantId}`)
      await expect(async () => leaky(database.db, {})).rejects.toThrow(/only hold placeholders/)
    })

    it('refuse to build a statement holding a value instead of a placeholder', async () => {
      const leaky = reusable((db) => db.select().from(tenants).where(eq(tenants.id, a.tenantId)))
      await expect(async () => leaky(database.db, {})).rejects.toThrow(/only hold placeholders/)
      const stamped = reusable((db) =>
        db
          .update(users)
          .set({ name: sql`${'fixed'}` as SQL })
          .where(eq(users.id, sql.placeholder('id'))),
      )
      await expect(async () => stamped(database.db, { id: 'x' })).rejects.toThrow(/only hold placeholders/)
    })
  })
}

suite('PostgreSQL', openTestDatabase)
suite('PGlite', async () => {
  const database = await openDatabase({ dataDir: 'memory://' })
  await migrateDatabase(database)
  return database
})
