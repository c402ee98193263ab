import { sql } from 'drizzle-orm'
import type { Database } from './client'

const DAY_MS = 86_400_000
/**
 * A template younger than this is used as it is: the usual first `npm start` right after `npm install`
 * pays nothing, and a demo an hour off is still today's demo.
 */
export const SHIFT_AFTER_MS = 3_600_000

/**
 * Moves every time of one tenant's rows forward by `ms` (dates by whole days): a demo company copied from
 * the template built at install time then looks as if it had been seeded now (follow-ups due tomorrow are
 * due tomorrow). Each table's time columns move together in one statement (checks between them hold),
 * in two uniform steps through a far-away range so no unique index sees a transient duplicate, with
 * triggers off (the append-only audit and timeline refuse updates). Times inside JSON documents stay.
 */
export async function shiftTenantTimes(database: Database, tenantId: string, ms: number): Promise<void> {
  if (Math.abs(ms) < SHIFT_AFTER_MS) return
  const columns = await database.rows<{ table_name: string; column_name: string; data_type: string }>(
    sql`select c.table_name, c.column_name, c.data_type
          from information_schema.columns c
          join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
         where c.table_schema = 'public' and t.table_type = 'BASE TABLE'
           and c.data_type in ('timestamp with time zone', 'timestamp without time zone', 'date')
           and (c.table_name = 'tenants'
                or exists (select 1 from information_schema.columns k
                            where k.table_schema = 'public' and k.table_name = c.table_name
                              and k.column_name = 'tenant_id'))
         order by c.table_name, c.column_name`,
  )
  const byTable = new Map<string, Array<{ name: string; date: boolean }>>()
  for (const c of columns) {
    const list = byTable.get(c.table_name) ?? []
    list.push({ name: c.column_name, date: c.data_type === 'date' })
    byTable.set(c.table_name, list)
  }
  // Tables with a unique index over a time column move in two steps (see above); the rest in one.
  const unique = new Set(
    (
      await database.rows<{ table_name: string; column_name: string }>(
        sql`select t.relname as table_name, a.attname as column_name
              from pg_index i
              join pg_class t on t.oid = i.indrelid
              join pg_attribute a on a.attrelid = t.oid and a.attnum = any(i.indkey)
             where i.indisunique and t.relnamespace = 'public'::regnamespace`,
      )
    ).map((r) => `${r.table_name}.${r.column_name}`),
  )
  const days = Math.round(ms / DAY_MS)
  const far = "interval '1000 years'"
  const set = (cols: Array<{ name: string; date: boolean }>, by: (date: boolean) => string) =>
    sql.raw(
      cols.map((c) => `"${c.name}" = ("${c.name}" + ${by(c.date)})${c.date ? '::date' : ''}`).join(', '),
    )
  await database.db.transaction(async (tx) => {
    await tx.execute(sql`set local session_replication_role = replica`)
    for (const [table, cols] of byTable) {
      const where = table === 'tenants' ? sql`where id = ${tenantId}` : sql`where tenant_id = ${tenantId}`
      const twoSteps = cols.some((c) => unique.has(`${table}.${c.name}`))
      const away = twoSteps ? ` - ${far}` : ''
      if (twoSteps)
        await tx.execute(sql`update ${sql.identifier(table)} set ${set(cols, () => far)} ${where}`)
      await tx.execute(
        sql`update ${sql.identifier(table)} set ${set(cols, (date) =>
          date ? `interval '${days} days'${away}` : `interval '${Math.round(ms)} milliseconds'${away}`,
        )} ${where}`,
      )
    }
  })
}
