import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { PGlite, type PGliteOptions, type QueryOptions, type Transaction } from '@electric-sql/pglite'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import { type SQL, sql } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator'
import { markEmbedded } from './embedded'
import { FastQueries } from './pglite-fast-query'
import {
  compiledPglite,
  hasCurrentMigrations,
  migrationsFolder,
  noteCurrentMigrations,
  PGLITE_SETTINGS,
  type PgliteTemplate,
  pgliteTemplatePath,
  prepareDataDir,
  templateDirOf,
  trimWal,
} from './pglite-files'
import { openPostgres, rowsOf } from './postgres'
import { type Lane, PriorityGate } from './priority-gate'
import * as schema from './schema'

export { rowsOf }

export type Schema = typeof schema
/** The drizzle database, whichever driver is underneath. Domain code only ever sees this type. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]
/** Either the database or an open transaction: verbs accept both so callers can compose them. */
export type DbOrTx = Db | Tx

export interface Database {
  db: Db
  kind: 'pglite' | 'postgres'
  /** Runs raw SQL and returns rows, hiding the drivers' different result shapes. */
  rows<T>(query: SQL): Promise<T[]>
  /** LISTEN on a channel; resolves to an unsubscribe function. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>
  ping(): Promise<void>
  close(): Promise<void>
  /** Set when this new embedded database was made from a filled template: when the template was filled. */
  filledAt?: Date
  /** An embedded database's directory on disk. */
  dataDir?: string
  /** True when the embedded database's directory notes the committed migrations: migrating is skipped. */
  migrated?: boolean
  /**
   * PostgreSQL: a database of one connection of its own with no statement timeout, for migrating (a session
   * advisory lock must be taken and released on the same connection, and building an index on a big table
   * may take longer than the pool's statement timeout). Closed by the caller.
   */
  dedicated?: () => Database
  /**
   * Embedded: the same database for work that can wait (the relay, in-process jobs). Its statements queue
   * behind waiting interactive ones on the one PGlite thread (`db/priority-gate.ts`). PostgreSQL has a pool
   * and its own processes, so it has none.
   */
  background?: () => Database
}

export { migrationsFolder, type PgliteTemplate, pgliteTemplatePath }

export interface OpenDatabaseOptions {
  /** postgres:// URL; when absent the embedded PGlite database is used. */
  url?: string | undefined
  /** PGlite data directory, or `memory://` for a throwaway database. */
  dataDir?: string
  /** The template a new PGlite data directory starts from (default `bare`). */
  template?: PgliteTemplate
  /** postgres.js pool size. */
  max?: number
  /**
   * PGlite `shared_buffers` (default `PGLITE_SETTINGS`' 16 MB, cheap to start: tests and tools open
   * hundreds). The product's long-lived database asks for more (`jobs/runtime.ts`).
   */
  sharedBuffers?: `${number}MB`
}

/** Opens PostgreSQL (postgres.js) when a URL is given, else PGlite in `dataDir` (default `./.data/pglite`). */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  if (options.url) return openPostgres(options.url, { max: options.max ?? 10 })
  return openPglite(
    options.dataDir ?? resolve(process.cwd(), '.data/pglite'),
    options.template ?? 'bare',
    options.sharedBuffers,
  )
}

/**
 * Writes a template for the current migrations (an in-memory database, migrated, optionally filled by
 * `fill`, dumped). A filled template records when it was filled next to it (`.json`), so a database made
 * from it can move its times to the present.
 */
export async function buildPgliteTemplate(
  kind: PgliteTemplate = 'bare',
  fill?: (database: Database) => Promise<void>,
): Promise<string> {
  const client = await PGlite.create('memory://', pgliteOptions())
  const database = wrapPglite(client)
  await migrateDatabase(database)
  if (fill) await fill(database)
  // Taken after filling: every time the fill wrote is then no later than `filledAt`, so moved to the present
  // none lands in the future (a demo message dated seconds ahead sorted after the user's next reply).
  const filledAt = new Date()
  await client.query('checkpoint')
  const dump = await client.dumpDataDir('gzip')
  const file = pgliteTemplatePath(kind)
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()))
  if (fill) writeFileSync(`${file}.json`, JSON.stringify({ filledAt: filledAt.toISOString() }))
  await client.close()
  // Also unpacked once: a new data directory is then a native file copy, about twice as fast as PGlite
  // unpacking the tarball into it on every first start.
  const dir = templateDirOf(file)
  rmSync(dir, { recursive: true, force: true })
  const unpacked = await PGlite.create(dir, pgliteOptions({ loadDataDir: new Blob([readFileSync(file)]) }))
  await unpacked.close()
  trimWal(dir)
  noteCurrentMigrations(dir)
  return file
}

/** Every embedded database: pg_trgm, and the settings of `PGLITE_SETTINGS`. */
function pgliteOptions(extra: Omit<PGliteOptions, 'extensions'> = {}, sharedBuffers?: string) {
  const settings = [
    ...PGLITE_SETTINGS,
    ...(sharedBuffers ? [`shared_buffers=${sharedBuffers}`] : []),
  ].flatMap((s) => ['-c', s])
  return {
    ...extra,
    extensions: { pg_trgm },
    startParams: [...PGlite.defaultStartParams, ...settings],
  }
}

async function openPglite(dataDir: string, kind: PgliteTemplate, sharedBuffers?: string): Promise<Database> {
  const [prepared, wasm] = await Promise.all([prepareDataDir(dataDir, kind), compiledPglite()])
  const client = await PGlite.create(
    dataDir,
    pgliteOptions(
      {
        ...(prepared.loadDataDir ? { loadDataDir: prepared.loadDataDir } : {}),
        ...(wasm ? { pgliteWasmModule: wasm } : {}),
      },
      sharedBuffers,
    ),
  )
  const migrated = !dataDir.startsWith('memory://') && hasCurrentMigrations(dataDir)
  return {
    ...wrapPglite(client),
    ...(prepared.filledAt ? { filledAt: prepared.filledAt } : {}),
    ...(migrated ? { migrated } : {}),
    ...(dataDir.startsWith('memory://') ? {} : { dataDir }),
  }
}

function wrapPglite(client: PGlite): Database {
  // One gate for the instance: statements and transactions go to PGlite one at a time, interactive first
  // (`db/priority-gate.ts`). Drizzle calls only `query` and `transaction` on its client.
  const gate = new PriorityGate()
  const fast = new FastQueries(client)
  const query = (text: string, params?: unknown[], options?: QueryOptions) =>
    fast.query(text, params, options)
  const view = (lane: Lane): Database => {
    const gated = {
      query: (text: string, params?: unknown[], options?: QueryOptions) =>
        gate.run(lane, () => query(text, params, options)),
      transaction: <T>(fn: (tx: Transaction) => Promise<T>) =>
        gate.run(lane, () =>
          client.transaction((tx) => fn(Object.assign(Object.create(tx) as Transaction, { query }))),
        ),
    } as unknown as PGlite
    const db = markEmbedded(drizzlePglite({ client: gated, schema, casing: 'snake_case' })) as unknown as Db
    return {
      db,
      kind: 'pglite',
      rows: async <T>(query: SQL) => rowsOf<T>(await db.execute(query)),
      listen: async (channel, onNotify) => {
        const unsub = await client.listen(channel, (payload) => onNotify(payload))
        return async () => unsub()
      },
      ping: async () => {
        await gated.query('select 1')
      },
      close: async () => {
        await client.close()
      },
      background: () => view('background'),
    }
  }
  return view('interactive')
}

/**
 * The upkeep below is for the embedded database (PGlite runs no autovacuum): its background lane, where each
 * statement waits behind interactive ones; null on PostgreSQL, where autovacuum and the pool's warm
 * connections do it.
 */
const upkeepLane = (database: Database): Database | null =>
  database.kind === 'pglite' ? (database.background?.() ?? database) : null

/**
 * Runs `statement` on each table of the public schema that `picked` (a condition on `pg_class c`) selects,
 * one statement a table, so requests run between them; resolves to the tables' names.
 */
async function eachTable(
  lane: Database,
  picked: SQL,
  statement: (table: string) => string,
): Promise<string[]> {
  const tables = await lane.rows<{ t: string }>(sql`
    select format('%I.%I', n.nspname, c.relname) as t
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind = 'r' and ${picked}
    order by 1`)
  for (const { t } of tables) await lane.rows(sql.raw(statement(t)))
  return tables.map((r) => r.t)
}

/**
 * Embedded: reads every table of the schema once (`limit 0`: planned, nothing fetched) in the background
 * lane, so the PGlite backend's catalog caches hold each table and its indexes before a request needs them.
 * A new backend builds them on first use, ~3.5 ms a table in WebAssembly (94 tables: ~380 ms cold, ~50 ms
 * warm), so the first chat messages after a start paid that on the one thread — a stall of 0.2–0.9 s in
 * every card tap beside them (`tests/bench/single-process.ts`). Resolves to the number of tables read; 0 for
 * PostgreSQL.
 */
export async function warmEmbeddedCatalog(database: Database): Promise<number> {
  const lane = upkeepLane(database)
  if (!lane) return 0
  return (await eachTable(lane, sql`true`, (t) => `select * from ${t} limit 0`)).length
}

/**
 * Embedded: ANALYZE each table whose statistics are missing or stale — never analyzed, or its size moved by
 * more than a fifth (and 4 pages) since it last was; returns their names. Without this a table never got
 * statistics and the planner guessed: after a directory sync of 2,000 people the lookup of the tapper by open
 * id (every card tap and chat message) scanned the tenant's 1,445 identities through the (tenant, platform,
 * user id) index — 0.44 ms a lookup, 0.21 once analyzed (`default_statistics_target` is 10 there:
 * `PGLITE_SETTINGS`). Nothing for PostgreSQL.
 */
export async function analyzeStaleEmbedded(database: Database): Promise<string[]> {
  const lane = upkeepLane(database)
  if (!lane) return []
  const pages = sql`(pg_relation_size(c.oid) / current_setting('block_size')::int)`
  return eachTable(
    lane,
    sql`${pages} > 0 and (c.reltuples < 0 or abs(${pages} - c.relpages) > greatest(4, c.relpages / 5))`,
    (t) => `analyze ${t}`,
  )
}

/**
 * Embedded: VACUUM the named tables, so the space of deleted rows is used again; housekeeping calls this for
 * the tables it empties. Nothing for PostgreSQL.
 */
export async function vacuumEmbedded(database: Database, tables: readonly string[]): Promise<void> {
  const lane = upkeepLane(database)
  if (!lane) return
  for (const t of tables) await lane.rows(sql`vacuum ${sql.identifier(t)}`)
}

/**
 * Embedded: VACUUM (FREEZE) each table whose oldest unfrozen transaction id is more than `maxAge` transactions
 * old (default 150 million, PostgreSQL's `vacuum_freeze_table_age`); returns their names. PostgreSQL's
 * autovacuum does this before transaction ids wrap around (at 2^31 the server stops taking writes); without
 * it a busy embedded install would reach the wall in years (2^31 transactions at 10 a second: 6.8 years).
 * Housekeeping asks every six hours; a table is frozen about once per 150 million transactions. Nothing for
 * PostgreSQL.
 */
export async function freezeOldEmbedded(database: Database, maxAge = 150_000_000): Promise<string[]> {
  const lane = upkeepLane(database)
  if (!lane) return []
  return eachTable(lane, sql`age(c.relfrozenxid) > ${maxAge}`, (t) => `vacuum (freeze) ${t}`)
}

/** Errors that say the database cannot be reached right now (down, restarting, starting up), not that a query is wrong. */
export function isUnreachable(error: unknown): boolean {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; depth++) {
    const code = typeof e.code === 'string' ? e.code : ''
    if (
      /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE|CONNECT_TIMEOUT|CONNECTION_(CLOSED|ENDED|DESTROYED))$/.test(
        code,
      ) ||
      /^(57P0[1-3]|08...)$/.test(code)
    )
      return true
    e = e.cause as typeof e
  }
  return false
}

/**
 * Runs `work`, again while it fails because the database cannot be reached (a process started while
 * PostgreSQL restarts waits for it instead of exiting — also when the restart comes between two boot steps);
 * any other error, or still unreachable after `timeoutMs`, throws. `work` must be safe to repeat.
 */
export async function whileUnreachable<T>(
  work: () => Promise<T>,
  options: { timeoutMs?: number; onWait?: (error: unknown) => void } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000)
  for (let attempt = 0; ; attempt++) {
    try {
      return await work()
    } catch (error) {
      if (!isUnreachable(error) || Date.now() > deadline) throw error
      if (attempt === 0) options.onWait?.(error)
      await new Promise((done) => setTimeout(done, Math.min(100 * 2 ** attempt, 2_000)))
    }
  }
}

/** Waits until the database answers (see {@link whileUnreachable}). */
export async function waitForDatabase(
  database: Database,
  options: { timeoutMs?: number; onWait?: (error: unknown) => void } = {},
): Promise<void> {
  await whileUnreachable(() => database.ping(), options)
}

/**
 * Applies the committed drizzle-kit migrations. On PostgreSQL an advisory lock serialises concurrent
 * starters (several instances booting at once).
 */
export async function migrateDatabase(database: Database): Promise<void> {
  if (database.migrated) return
  await database.db.execute(sql`create extension if not exists pg_trgm`)
  if (database.kind === 'pglite') {
    await migratePglite(database.db as never, { migrationsFolder })
    if (database.dataDir) noteCurrentMigrations(database.dataDir)
    return
  }
  // One connection for the lock, the migrations and the unlock: on a pool the unlock could land on another
  // connection, leaving the lock held and the next starter waiting on it until a statement timeout.
  const own = database.dedicated?.() ?? database
  try {
    await own.db.execute(sql`select pg_advisory_lock(727274)`)
    try {
      await migratePostgres(own.db as never, { migrationsFolder })
    } finally {
      await own.db.execute(sql`select pg_advisory_unlock(727274)`)
    }
  } finally {
    if (own !== database) await own.close()
  }
}
