import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import { type SQL, sql } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator'
import { openPostgres, rowsOf } from './postgres'
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
}

export const migrationsFolder = resolve(dirname(fileURLToPath(import.meta.url)), 'migrations')

export interface OpenDatabaseOptions {
  /** postgres:// URL; when absent the embedded PGlite database is used. */
  url?: string | undefined
  /** PGlite data directory, or `memory://` for a throwaway database. */
  dataDir?: string
  /** The template a new PGlite data directory starts from (default `bare`). */
  template?: PgliteTemplate
  /** postgres.js pool size. */
  max?: number
}

/** Opens PostgreSQL (postgres.js) when a URL is given, else PGlite in `dataDir` (default `./.data/pglite`). */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  if (options.url) return openPostgres(options.url, { max: options.max ?? 10 })
  return openPglite(options.dataDir ?? resolve(process.cwd(), '.data/pglite'), options.template ?? 'bare')
}

/**
 * A migrated, empty PGlite data directory as a tarball, keyed by the migrations and the PGlite version.
 * A brand-new data directory is loaded from it instead of running initdb (several times faster), so the
 * first `npm start` is ready within seconds. Built by `db/template.ts` at install time.
 */
export function pgliteTemplatePath(kind: PgliteTemplate = 'bare'): string {
  const hash = createHash('sha256')
  if (kind === 'demo') {
    // The demo template also depends on the seed's code.
    const seedDir = resolve(dirname(fileURLToPath(import.meta.url)), 'seed')
    for (const f of readdirSync(seedDir)
      .filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts'))
      .sort())
      hash.update(readFileSync(resolve(seedDir, f)))
  }
  hash.update(readFileSync(resolve(migrationsFolder, 'meta/_journal.json')))
  for (const f of readdirSync(migrationsFolder)
    .filter((n) => n.endsWith('.sql'))
    .sort()) {
    hash.update(readFileSync(resolve(migrationsFolder, f)))
  }
  const pkg = resolve(
    dirname(fileURLToPath(import.meta.url)),
    '../node_modules/@electric-sql/pglite/package.json',
  )
  if (existsSync(pkg)) hash.update(readFileSync(pkg))
  const cacheDir = resolve(dirname(fileURLToPath(import.meta.url)), '../node_modules/.cache/flowcard')
  return resolve(
    cacheDir,
    `pglite-${kind === 'demo' ? 'demo-' : ''}${hash.digest('hex').slice(0, 16)}.tar.gz`,
  )
}

/**
 * Which template a new embedded database starts from: `bare` (migrated, empty) or `demo` (migrated and the
 * demo company seeded, so the first `npm start` does not spend seconds seeding).
 */
export type PgliteTemplate = 'bare' | 'demo'

/**
 * Writes a template for the current migrations (an in-memory database, migrated, optionally filled by
 * `fill`, dumped). A filled template records when it was filled next to it (`.json`), so a database made
 * from it can move its times to the present.
 */
export async function buildPgliteTemplate(
  kind: PgliteTemplate = 'bare',
  fill?: (database: Database) => Promise<void>,
): Promise<string> {
  const client = await PGlite.create('memory://', { extensions: { pg_trgm } })
  const database = wrapPglite(client)
  await migrateDatabase(database)
  const filledAt = new Date()
  if (fill) await fill(database)
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
  const unpacked = await PGlite.create(dir, {
    extensions: { pg_trgm },
    loadDataDir: new Blob([readFileSync(file)]),
  })
  await unpacked.close()
  return file
}

const templateDirOf = (file: string) => file.replace(/\.tar\.gz$/, '.dir')

async function openPglite(dataDir: string, kind: PgliteTemplate): Promise<Database> {
  let loadDataDir: Blob | undefined
  let filledAt: Date | undefined
  if (!dataDir.startsWith('memory://')) {
    const fresh = !existsSync(resolve(dataDir, 'PG_VERSION'))
    mkdirSync(dataDir, { recursive: true })
    // The demo template when asked for and built, else the bare one, else initdb.
    for (const k of fresh ? ([kind, 'bare'] as const) : []) {
      const template = pgliteTemplatePath(k)
      if (!existsSync(template)) continue
      if (k === 'demo') {
        const meta = JSON.parse(readFileSync(`${template}.json`, 'utf8')) as { filledAt: string }
        filledAt = new Date(meta.filledAt)
      }
      const dir = templateDirOf(template)
      if (existsSync(resolve(dir, 'PG_VERSION'))) cpSync(dir, dataDir, { recursive: true })
      else loadDataDir = new Blob([readFileSync(template)])
      break
    }
  }
  const client = await PGlite.create(dataDir, {
    extensions: { pg_trgm },
    ...(loadDataDir ? { loadDataDir } : {}),
  })
  return { ...wrapPglite(client), ...(filledAt ? { filledAt } : {}) }
}

function wrapPglite(client: PGlite): Database {
  const db = drizzlePglite({ client, schema, casing: 'snake_case' }) as unknown as Db
  return {
    db,
    kind: 'pglite',
    rows: async <T>(query: SQL) => rowsOf<T>(await db.execute(query)),
    listen: async (channel, onNotify) => {
      const unsub = await client.listen(channel, (payload) => onNotify(payload))
      return async () => unsub()
    },
    ping: async () => {
      await client.query('select 1')
    },
    close: async () => {
      await client.close()
    },
  }
}

/**
 * Applies the committed drizzle-kit migrations. On PostgreSQL an advisory lock serialises concurrent
 * starters (several instances booting at once).
 */
export async function migrateDatabase(database: Database): Promise<void> {
  await database.db.execute(sql`create extension if not exists pg_trgm`)
  if (database.kind === 'pglite') {
    await migratePglite(database.db as never, { migrationsFolder })
    return
  }
  await database.db.execute(sql`select pg_advisory_lock(727274)`)
  try {
    await migratePostgres(database.db as never, { migrationsFolder })
  } finally {
    await database.db.execute(sql`select pg_advisory_unlock(727274)`)
  }
}
