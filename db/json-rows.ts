import { type Column, getTableColumns, is, SQL, sql, type Table } from 'drizzle-orm'
import { toSnakeCase } from 'drizzle-orm/casing'
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core'

/**
 * Rows of a table read as JSON inside a larger statement (several sections of a card in one statement, one
 * socket write and one parse instead of one per section), decoded back to exactly what a select of the
 * table gives: the same keys, timestamps as `Date`, numbers as the column's mode says.
 */

/** `json_build_object('id', "t"."id", …)` over every column of `table` (or of its `alias(…)`). */
export function jsonRowOf(table: Table): SQL {
  const parts = Object.entries(getTableColumns(table)).map(
    ([key, col]) => sql`${sql.raw(`'${key}'`)}, ${col}`,
  )
  return sql`json_build_object(${sql.join(parts, sql`, `)})`
}

const decoders = new WeakMap<Table, Array<[string, Column]>>()

/** One JSON row back to the table's row type (the inverse of `jsonRowOf`). */
export function decodeJsonRow<T extends Table>(table: T, raw: Record<string, unknown>): T['$inferSelect'] {
  let cols = decoders.get(table)
  if (!cols) {
    cols = Object.entries(getTableColumns(table))
    decoders.set(table, cols)
  }
  const out: Record<string, unknown> = {}
  for (const [key, col] of cols) {
    const v = raw[key]
    // json/jsonb values are already values: decoding them again would parse a string that looks like JSON.
    out[key] = v === null || v === undefined ? null : col.dataType === 'json' ? v : col.mapFromDriverValue(v)
  }
  return out as T['$inferSelect']
}

/** A column's name in the database (the app's databases use snake_case casing for unnamed columns). */
const dbName = (c: PgColumn): string => (c.keyAsName ? toSnakeCase(c.name) : c.name)

/**
 * The row as the table stores it: every column, a missing one at its default (a constant, or its default
 * function) or null. A column whose default is SQL (`now()`, a sequence) must be given: throws otherwise.
 * With {@link insertRowsSql} the caller has the stored rows without `returning` them.
 */
export function fullRow<T extends PgTable>(table: T, row: T['$inferInsert']): T['$inferSelect'] {
  const given = row as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const [key, col] of Object.entries(getTableColumns(table))) {
    const v = given[key]
    if (v !== undefined) out[key] = v
    else if (col.defaultFn) out[key] = col.defaultFn()
    else if (col.hasDefault && !is(col.default, SQL)) out[key] = col.default ?? null
    else if (col.hasDefault) throw new Error(`${col.name} has an SQL default: give its value`)
    else out[key] = null
  }
  return out as T['$inferSelect']
}

/**
 * `insert into <table>` of many rows as ONE JSON parameter read by `jsonb_populate_recordset` (the table's
 * row type converts each value), instead of one parameter per value: building and binding thousands of
 * parameters costs the app more than the insert costs the database, and the statement's text is the same
 * whatever the number of rows (one prepared statement). The columns are those given in the first row
 * (`undefined` = not given; the others take their defaults); every row gives the same columns (null where
 * one is missing). Values go as JSON: dates as ISO strings, JSON columns as nested JSON.
 */
export function insertRowsSql<T extends PgTable>(table: T, rows: Array<T['$inferInsert']>): SQL {
  const first = (rows[0] ?? {}) as Record<string, unknown>
  const cols = Object.entries(getTableColumns(table)).filter(([key]) => first[key] !== undefined)
  const names = cols.map(([, c]) => dbName(c))
  const list = sql.raw(names.map((n) => `"${n}"`).join(', '))
  const json = JSON.stringify(
    rows.map((r) => {
      const row = r as Record<string, unknown>
      const o: Record<string, unknown> = {}
      cols.forEach(([key], i) => {
        o[names[i] as string] = row[key] ?? null
      })
      return o
    }),
  )
  return sql`insert into ${table} (${list}) select ${list} from jsonb_populate_recordset(null::${table}, ${json}::jsonb)`
}

/**
 * Several data-modifying statements (inserts without `returning`) as one: each a CTE of the last. One
 * statement instead of several, sent and run once; the rows of one are visible to the foreign keys of the
 * others (checked at the statement's end).
 */
export function allOf(statements: SQL[]): SQL {
  const last = statements.at(-1)
  if (!last) throw new Error('no statement')
  const ctes = statements.slice(0, -1).map((s, i) => sql`${sql.raw(`w${i}`)} as (${s})`)
  return ctes.length === 0 ? last : sql`with ${sql.join(ctes, sql`, `)} ${last}`
}
