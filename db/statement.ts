import { type Column, is, Param, Placeholder, type Query, type SQL, sql } from 'drizzle-orm'
import { PgDialect } from 'drizzle-orm/pg-core'
import type { DbOrTx } from './client'

/**
 * The ORM turns a query builder into SQL text on every call, and that costs more CPU than anything else a
 * card tap does in this process (0.1–0.2 ms per statement: a full-row select or an update with `returning`
 * walks every column of the table). A reusable statement is built once per process and shape, with
 * placeholders for every value, and afterwards only runs: on the database or on any transaction, on
 * PostgreSQL or the embedded database, with the ORM's own result mapping.
 *
 * `build` receives the shape (a string the caller derives from which parts the statement has: an optional
 * condition, a column set to null) and no values, so nothing of one call can leak into the next. Building
 * refuses a statement with any parameter that is not a placeholder: a value written into it (a tenant id, a
 * time, a column's `$onUpdate`) would be reused by every later call.
 */
export function reusable<B extends Runnable>(
  build: (db: DbOrTx, shape: string) => B,
): (db: DbOrTx, values: Record<string, unknown>, shape?: string) => Promise<Result<B>> {
  const built = new Map<string, Built>()
  return (db, values, shape = '') => {
    let b = built.get(shape)
    if (!b) {
      b = prepare(build(db, shape))
      built.set(shape, b)
    }
    const q = db._.session.prepareQuery(
      b.query,
      b.fields as never,
      undefined,
      true,
      b.customResultMapper as never,
      b.queryMetadata,
      b.cacheConfig as never,
    ) as unknown as Prepared
    q.joinsNotNullableMap = b.joinsNotNullableMap
    return q.execute(values) as Promise<Result<B>>
  }
}

/**
 * A reusable statement written as SQL (what the query builder cannot say, such as one statement inserting
 * into several tables), with `sql.placeholder` for every value: its text is built once per process, and each
 * call runs it with its values, as `db.execute` would, on the database or any transaction. Building refuses a
 * value that is not a placeholder, as {@link reusable} does.
 */
export function reusableSql(
  build: () => SQL,
): (db: DbOrTx, values: Record<string, unknown>) => Promise<unknown> {
  let query: Query | undefined
  return (db, values) => {
    query ??= placeholdersOnly(dialect.sqlToQuery(build()))
    const q = db._.session.prepareQuery(query, undefined, undefined, false) as unknown as Prepared
    return q.execute(values)
  }
}

/** Turns SQL into text and parameters, naming columns as the databases are opened with (`db/client.ts`). */
const dialect = new PgDialect({ casing: 'snake_case' })

/** A value bound to a column: encoded as the column encodes it (dates, JSON), like a value given to `set`. */
export const bound = (name: string, column: Column): SQL => sql`${sql.param(sql.placeholder(name), column)}`

/** What a query builder's `prepare()` hands back, as far as a reusable statement needs it. */
interface Prepared {
  getQuery(): Query
  execute(values?: Record<string, unknown>): Promise<unknown>
  fields?: unknown
  customResultMapper?: unknown
  joinsNotNullableMap?: unknown
  queryMetadata?: { type: 'select' | 'update' | 'delete' | 'insert'; tables: string[] }
  cacheConfig?: unknown
}

interface Runnable {
  prepare(name: string): unknown
  execute(...args: never[]): Promise<unknown>
}

type Result<B extends Runnable> = Awaited<ReturnType<B['execute']>>

interface Built {
  query: Query
  fields: unknown
  customResultMapper: unknown
  joinsNotNullableMap: unknown
  queryMetadata: Prepared['queryMetadata']
  cacheConfig: unknown
}

function prepare(builder: Runnable): Built {
  const p = builder.prepare('reusable') as Prepared
  const query = placeholdersOnly(p.getQuery())
  return {
    query,
    fields: p.fields,
    customResultMapper: p.customResultMapper,
    joinsNotNullableMap: p.joinsNotNullableMap,
    queryMetadata: p.queryMetadata,
    cacheConfig: p.cacheConfig,
  }
}

/** The query's text and parameters, if every parameter is a placeholder (else it throws). */
function placeholdersOnly(query: Query): Query {
  for (const param of query.params) {
    if (is(param, Placeholder) || (is(param, Param) && is(param.value, Placeholder))) continue
    throw new Error(
      `a reusable statement may only hold placeholders, found the value ${JSON.stringify(param)} in: ${query.sql}`,
    )
  }
  return { sql: query.sql, params: query.params }
}
