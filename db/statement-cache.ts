import { Column, getTableName, is, SQL, Subquery } from 'drizzle-orm'
import type { DbOrTx } from './client'

/**
 * Built statements kept for reuse. The ORM turns a query into SQL text and a field map on every call (tens
 * to hundreds of microseconds of CPU per statement, the bulk of a hot read's Node time); a statement whose
 * shape depends only on what its key names is built once with placeholders for the rest, then only
 * executed. Caches are per driver client (a transaction's own client gets its own, short-lived cache) and
 * bounded, least recently used first out.
 *
 * The key must name everything the statement's text and fixed parameters depend on (tenant, the caller's
 * data scope); values that vary per call go through `sql.placeholder`.
 */
interface Executable<R> {
  execute(values?: Record<string, unknown>): Promise<R>
}

const MAX_PER_CLIENT = 1000
const caches = new WeakMap<object, Map<string, Executable<unknown>>>()

export function cachedStatement<R>(db: DbOrTx, key: string, build: () => Executable<R>): Executable<R> {
  // biome-ignore lint/suspicious/noExplicitAny: the session's driver client is the ORM's internal
  const owner: object = (db as any).session?.client ?? db
  let cache = caches.get(owner)
  if (!cache) {
    cache = new Map()
    caches.set(owner, cache)
  }
  const hit = cache.get(key) as Executable<R> | undefined
  if (hit) {
    cache.delete(key)
    cache.set(key, hit)
    return hit
  }
  const made = build()
  compileRowMapper(made)
  cache.set(key, made as Executable<unknown>)
  if (cache.size > MAX_PER_CLIENT) {
    const oldest = cache.keys().next().value
    if (oldest !== undefined) cache.delete(oldest)
  }
  return made
}

/**
 * A prepared select's rows mapped by a mapper compiled once for its fields, in place of the ORM's per-row
 * `mapResultRow` (which asks every field of every row what kind it is: a card's few hundred rows spent
 * milliseconds there). Same result: the fields' paths, their decoders, and a left-joined table's object
 * null when all its columns are (the ORM's rule). Statements without a field list are left as they are.
 */
function compileRowMapper(query: unknown): void {
  const q = query as {
    fields?: Array<{ path: string[]; field: unknown }>
    customResultMapper?: unknown
    joinsNotNullableMap?: Record<string, boolean>
  }
  if (!Array.isArray(q.fields) || q.customResultMapper !== undefined) return
  const steps = q.fields.map(({ path, field }) => {
    // (`decoder` is the ORM's internal; the order of the checks is `mapResultRow`'s.)
    type Decoder = { mapFromDriverValue(v: unknown): unknown }
    const sqlDecoder = (x: unknown) => (x as { decoder: Decoder }).decoder
    let decoder: Decoder
    if (is(field, Column)) decoder = field
    else if (is(field, SQL)) decoder = sqlDecoder(field)
    else if (is(field, Subquery)) decoder = sqlDecoder((field as unknown as { _: { sql: SQL } })._.sql)
    else decoder = sqlDecoder((field as { sql: SQL }).sql)
    const identity = decoder.mapFromDriverValue === Column.prototype.mapFromDriverValue
    return {
      parents: path.slice(0, -1),
      leaf: path[path.length - 1] as string,
      decode: identity ? null : (v: unknown) => decoder.mapFromDriverValue(v),
      // A column of a table's object ({ c: customers } → path ['c', 'id']): its table, for the null rule.
      table: is(field, Column) && path.length === 2 ? getTableName(field.table) : null,
    }
  })
  q.customResultMapper = (rows: unknown[][]) => {
    const joins = q.joinsNotNullableMap
    return rows.map((row) => {
      const result: Record<string, unknown> = {}
      const nullify: Record<string, string | false> | null = joins ? {} : null
      for (let i = 0; i < steps.length; i++) {
        const st = steps[i] as (typeof steps)[number]
        let node = result
        for (const p of st.parents) {
          if (!(p in node)) node[p] = {}
          node = node[p] as Record<string, unknown>
        }
        const raw = row[i]
        const value = raw === null ? null : st.decode ? st.decode(raw) : raw
        node[st.leaf] = value
        if (nullify && st.table !== null) {
          const object = st.parents[0] as string
          if (!(object in nullify)) nullify[object] = value === null ? st.table : false
          else if (typeof nullify[object] === 'string' && nullify[object] !== st.table)
            nullify[object] = false
        }
      }
      if (nullify && joins)
        for (const object in nullify) {
          const table = nullify[object]
          if (typeof table === 'string' && !joins[table]) result[object] = null
        }
      return result
    })
  }
}
