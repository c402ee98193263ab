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
  cache.set(key, made as Executable<unknown>)
  if (cache.size > MAX_PER_CLIENT) {
    const oldest = cache.keys().next().value
    if (oldest !== undefined) cache.delete(oldest)
  }
  return made
}
