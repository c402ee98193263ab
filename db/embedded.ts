/**
 * Marks the drizzle handles of the embedded database (PGlite), for the few places that must act differently
 * there: PGlite is one session in this process, so a transaction holds the whole database, and a statement
 * sent on any other handle while it is open waits for it to end. Code that holds a transaction across a call
 * that writes through its own handle (a platform adapter's usage meter) deadlocks there.
 */
const EMBEDDED = Symbol.for('flowcard.embedded-database')

export function markEmbedded<T extends object>(db: T): T {
  Object.defineProperty(db, EMBEDDED, { value: true })
  return db
}

/** Whether `db` is a handle (not a transaction) of the embedded database. */
export function isEmbedded(db: object): boolean {
  return (db as Record<symbol, unknown>)[EMBEDDED] === true
}
