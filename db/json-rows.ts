import { type Column, getTableColumns, type SQL, sql, type Table } from 'drizzle-orm'

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
