import type { SQL } from 'drizzle-orm'
import type { Database, Db } from './client'

/**
 * A `Database` that forwards every use to the database `current()` returns at that moment. The Workers entry
 * builds its app once per isolate over this and runs each request with its own postgres.js client in scope
 * (AsyncLocalStorage): the runtime does not let a request use a socket another request opened, while
 * building the app per request would cost more CPU than the request itself.
 */
export function scopedDatabase(current: () => Database): Database {
  const target = () => current().db as unknown as Record<PropertyKey, unknown>
  const db = new Proxy({} as Record<PropertyKey, unknown>, {
    get(_, prop) {
      const real = target()
      const value = Reflect.get(real, prop, real)
      return typeof value === 'function' ? value.bind(real) : value
    },
    has: (_, prop) => prop in target(),
    getPrototypeOf: () => Object.getPrototypeOf(target()),
  }) as unknown as Db
  return {
    db,
    get kind() {
      return current().kind
    },
    rows: <T>(query: SQL) => current().rows<T>(query),
    listen: (channel, onNotify) => current().listen(channel, onNotify),
    ping: () => current().ping(),
    close: () => current().close(),
  }
}
