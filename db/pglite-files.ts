/**
 * The files of the embedded database (PGlite) that a start prepares: a new data directory copied from the
 * template built at install time, the compiled PostgreSQL WebAssembly module, and the note that says which
 * migrations a data directory already has. Imports nothing but Node's own modules, so `npm start` can begin
 * this work (a file copy on libuv's threads, the WebAssembly compile on V8's) before it loads the server's
 * modules, and the two overlap (`bot/entry/prewarm.ts`); `openDatabase` then takes what was begun, or does it
 * itself when nothing was.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { cp, readFile, rename, rm } from 'node:fs/promises'
import { basename, dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
export const migrationsFolder = resolve(here, 'migrations')
const pgliteDir = resolve(here, '../node_modules/@electric-sql/pglite')
const cacheDir = resolve(here, '../node_modules/.cache/flowcard')

/**
 * Which template a new embedded database starts from: `bare` (migrated, empty) or `demo` (migrated and the
 * demo company seeded, so the first `npm start` does not spend seconds seeding).
 */
export type PgliteTemplate = 'bare' | 'demo'

/**
 * PGlite settings for every embedded database. `shared_buffers` is 16 MB instead of PostgreSQL's 128 MB:
 * PGlite zeroes its shared memory in WebAssembly at every start (about 0.5 s of CPU for 128 MB), the data
 * of a team's flowcard is a few tens of MB, and a page not in the buffers is one read from the operating
 * system's file cache.
 */
export const PGLITE_SETTINGS = [
  'shared_buffers=16MB',
  // ANALYZE samples 300 × this many rows a table: with PostgreSQL's 100, one table of 100k rows held PGlite's
  // one thread for ~380 ms (the whole 1/10 bench database 2.6 s); with 10, 36 ms (0.34 s), and a small
  // company's lookups plan the same (`analyzeStaleEmbedded` in db/client.ts).
  'default_statistics_target=10',
]

function updateWithMigrations(hash: ReturnType<typeof createHash>): void {
  hash.update(readFileSync(resolve(migrationsFolder, 'meta/_journal.json')))
  for (const f of readdirSync(migrationsFolder)
    .filter((n) => n.endsWith('.sql'))
    .sort())
    hash.update(readFileSync(resolve(migrationsFolder, f)))
}

let migrationsDigest: string | undefined
/** A hash of the committed migrations (journal and SQL files): changes whenever a migration is added. */
export function migrationsHash(): string {
  if (migrationsDigest) return migrationsDigest
  const hash = createHash('sha256')
  updateWithMigrations(hash)
  migrationsDigest = hash.digest('hex')
  return migrationsDigest
}

/** The file in a PGlite data directory naming the migrations it has (written after migrating). */
const MIGRATED_NOTE = 'flowcard-migrations'

/** True when the data directory notes that it has exactly the committed migrations. */
export function hasCurrentMigrations(dataDir: string): boolean {
  try {
    return readFileSync(resolve(dataDir, MIGRATED_NOTE), 'utf8') === migrationsHash()
  } catch {
    return false
  }
}

/** Notes in the data directory that it has the committed migrations (PostgreSQL ignores the file). */
export function noteCurrentMigrations(dataDir: string): void {
  writeFileSync(resolve(dataDir, MIGRATED_NOTE), migrationsHash())
}

/**
 * A migrated PGlite data directory as a tarball, keyed by the migrations, the PGlite version and (for the
 * demo) the seed's code and the template builder's. A brand-new data directory is made from it instead of running initdb (several
 * times faster), so the first `npm start` is ready within seconds. Built by `db/template.ts` at install time.
 */
export function pgliteTemplatePath(kind: PgliteTemplate = 'bare'): string {
  const hash = createHash('sha256')
  // How a template directory is laid out (its WAL trimmed, `trimWal`): a change builds every template anew.
  hash.update('wal-trimmed')
  if (kind === 'demo') {
    const seedDir = resolve(here, 'seed')
    for (const f of readdirSync(seedDir)
      .filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts'))
      .sort())
      hash.update(readFileSync(resolve(seedDir, f)))
    // And how it is built (what is worked off, when it counts as filled).
    const builder = resolve(here, 'template.ts')
    if (existsSync(builder)) hash.update(readFileSync(builder))
  }
  updateWithMigrations(hash)
  const pkg = resolve(pgliteDir, 'package.json')
  if (existsSync(pkg)) hash.update(readFileSync(pkg))
  return resolve(
    cacheDir,
    `pglite-${kind === 'demo' ? 'demo-' : ''}${hash.digest('hex').slice(0, 16)}.tar.gz`,
  )
}

/**
 * Deletes the templates of earlier migrations, seeds or PGlite versions (each install builds new ones under a
 * new hash; the old ones, ~40 MB each with their unpacked copies, would pile up). Keeps the current `bare` and
 * `demo`. Returns what it removed.
 */
export function removeStaleTemplates(dir = cacheDir): string[] {
  if (!existsSync(dir)) return []
  const keep = new Set(
    (['bare', 'demo'] as const).flatMap((k) => {
      const file = basename(pgliteTemplatePath(k))
      return [file, `${file}.json`, templateDirOf(file)]
    }),
  )
  const stale = readdirSync(dir).filter(
    (n) => /^pglite-(demo-)?[0-9a-f]{16}\.(tar\.gz|tar\.gz\.json|dir)$/.test(n) && !keep.has(n),
  )
  for (const n of stale) rmSync(resolve(dir, n), { recursive: true, force: true })
  return stale
}

/** The template unpacked once at install time: a new data directory is then a native file copy. */
export const templateDirOf = (file: string): string => file.replace(/\.tar\.gz$/, '.dir')

export interface PreparedDataDir {
  /** Set when the directory was made from a filled template: when the template was filled. */
  filledAt?: Date
  /** The template tarball, when there is no unpacked copy: PGlite unpacks it into the directory. */
  loadDataDir?: Blob
}

const preparing = new Map<string, Promise<PreparedDataDir>>()

/**
 * Makes a new data directory from the template `kind` (else the bare one; else leaves it for initdb). An
 * existing database is left alone. The copy goes to a temporary sibling first and is renamed into place, so
 * a start killed mid-copy never leaves half a database. Begun once per directory and process: a second call
 * (the prewarm's, then `openDatabase`'s) gets the first one's promise.
 */
export function prepareDataDir(dataDir: string, kind: PgliteTemplate): Promise<PreparedDataDir> {
  let p = preparing.get(dataDir)
  if (!p) {
    p = prepare(dataDir, kind)
    preparing.set(dataDir, p)
  }
  return p
}

async function prepare(dataDir: string, kind: PgliteTemplate): Promise<PreparedDataDir> {
  if (dataDir.startsWith('memory://') || existsSync(resolve(dataDir, 'PG_VERSION'))) return {}
  mkdirSync(dirname(dataDir), { recursive: true })
  for (const k of kind === 'bare' ? (['bare'] as const) : ([kind, 'bare'] as const)) {
    const template = pgliteTemplatePath(k)
    if (!existsSync(template)) continue
    const filledAt =
      k === 'demo'
        ? new Date((JSON.parse(readFileSync(`${template}.json`, 'utf8')) as { filledAt: string }).filledAt)
        : undefined
    const dir = templateDirOf(template)
    if (!existsSync(resolve(dir, 'PG_VERSION'))) {
      mkdirSync(dataDir, { recursive: true })
      return { ...(filledAt ? { filledAt } : {}), loadDataDir: new Blob([await readFile(template)]) }
    }
    const empty = !existsSync(dataDir) || readdirSync(dataDir).length === 0
    if (empty) {
      const tmp = `${dataDir}.new-${process.pid}`
      await rm(tmp, { recursive: true, force: true })
      await copyDir(dir, tmp)
      await rm(dataDir, { recursive: true, force: true })
      await rename(tmp, dataDir)
    } else {
      // Something without PG_VERSION is there (not made by flowcard): copy over it, as initdb would refuse.
      await cp(dir, dataDir, { recursive: true })
    }
    return filledAt ? { filledAt } : {}
  }
  mkdirSync(dataDir, { recursive: true })
  return {}
}

/**
 * Copies a directory with the system's `cp` where there is one: its work is then on another core, where
 * Node's `fs.cp` spends half a second of this thread's time on the template's 1,500 files, the same
 * seconds in which the server's modules load. Node's copy where `cp` is missing or fails.
 */
async function copyDir(from: string, to: string): Promise<void> {
  if (process.platform !== 'win32') {
    const copied = await new Promise<boolean>((done) => execFile('cp', ['-R', from, to], (err) => done(!err)))
    if (copied) return
    await rm(to, { recursive: true, force: true })
  }
  await cp(from, to, { recursive: true })
}

const DB_SHUTDOWNED = 1
/**
 * Removes the WAL segments a cleanly shut-down PostgreSQL data directory does not need (all but the ones
 * from its last checkpoint's redo point to the checkpoint record): a template keeps 16 MB of WAL instead of
 * the 32 MB or more PostgreSQL leaves for reuse, and every new database copies that much less. PostgreSQL
 * creates the next segment when it gets there. Reads `global/pg_control` (little-endian, as PGlite's
 * WebAssembly writes it: system identifier, version, catalog version, state, time, checkpoint, then the
 * checkpoint's redo point and timeline); leaves everything in place when the file is not what is expected.
 * Returns how many segments it removed.
 */
export function trimWal(dataDir: string): number {
  const control = readFileSync(resolve(dataDir, 'global/pg_control'))
  if (control.length < 64 || control.readUInt32LE(8) < 1300 || control.readUInt32LE(16) !== DB_SHUTDOWNED)
    return 0
  const checkpoint = control.readBigUInt64LE(32)
  const redo = control.readBigUInt64LE(40)
  const timeline = control.readUInt32LE(48)
  const walDir = resolve(dataDir, 'pg_wal')
  const segments = readdirSync(walDir).filter((n) => /^[0-9A-F]{24}$/.test(n))
  if (segments.length === 0 || redo > checkpoint) return 0
  const segmentSize = BigInt(statSync(resolve(walDir, segments[0] as string)).size)
  if (segmentSize < 1024n * 1024n || 0x1_0000_0000n % segmentSize !== 0n) return 0
  const perId = 0x1_0000_0000n / segmentSize
  const hex = (n: bigint | number) => n.toString(16).toUpperCase().padStart(8, '0')
  const nameOf = (lsn: bigint) => {
    const segment = lsn / segmentSize
    return `${hex(timeline)}${hex(segment / perId)}${hex(segment % perId)}`
  }
  const first = nameOf(redo)
  // The checkpoint record itself may run into the next segment.
  const last = nameOf(checkpoint + 8192n)
  if (!segments.includes(first) || !segments.includes(nameOf(checkpoint))) return 0
  const extra = segments.filter((n) => n < first || n > last)
  for (const n of extra) rmSync(resolve(walDir, n))
  return extra.length
}

let compiling: Promise<WebAssembly.Module | undefined> | undefined
/**
 * PostgreSQL's WebAssembly, compiled once per process on V8's background threads (PGlite would compile it
 * itself, later, when the database opens). Undefined when the file is not where it is expected.
 */
export function compiledPglite(): Promise<WebAssembly.Module | undefined> {
  compiling ??= readFile(resolve(pgliteDir, 'dist/pglite.wasm')).then(
    (bytes) => WebAssembly.compile(bytes),
    () => undefined,
  )
  return compiling
}

/**
 * Begins the embedded database's preparation from the raw environment, before the configuration is parsed:
 * the same choices `bootRuntime` makes (embedded when DATABASE_URL is empty, the demo template when the demo
 * would be seeded), for a plain value of each; anything else waits for the real start.
 */
export function prewarmPglite(env: NodeJS.ProcessEnv): void {
  if (env.DATABASE_URL) return
  const seedDemo = env.SEED_DEMO || 'auto'
  if (!['auto', 'true', 'false'].includes(seedDemo)) return
  void compiledPglite()
  const dataDir = resolve(env.DATA_DIR || '.data', 'pglite')
  prepareDataDir(dataDir, seedDemo === 'false' ? 'bare' : 'demo').catch(() => {})
}
