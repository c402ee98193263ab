import type { SQL } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/postgres-js'
import postgres from 'postgres'
import type { Database, Db } from './client'
import * as schema from './schema'

/**
 * PostgreSQL through postgres.js, with no Node-only import: `db/client.ts` uses it on Node, and the Workers
 * entry over Hyperdrive's connection string (postgres.js resolves its `workerd` build there, which speaks
 * through `cloudflare:sockets`).
 */

/** Normalises a driver's `execute` result (postgres.js: array, PGlite: `{ rows }`) to rows. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[]
  if (result && typeof result === 'object' && 'rows' in result && Array.isArray(result.rows)) {
    return result.rows as T[]
  }
  return []
}

export interface PostgresOptions {
  /** Pool size (Workers allow 6 open connections per request, so at most 5 there). */
  max: number
  /** LISTEN needs a direct connection; Hyperdrive does not carry it, so the Workers entry turns it off. */
  listen?: boolean
}

export function openPostgres(url: string, options: PostgresOptions): Database {
  const client = postgres(url, {
    max: options.max,
    onnotice: () => {},
    connection: { application_name: 'flowcard' },
  })
  const db = drizzle({ client, schema, casing: 'snake_case' }) as unknown as Db
  const listenable = options.listen ?? true
  return {
    db,
    kind: 'postgres',
    rows: async <T>(query: SQL) => rowsOf<T>(await db.execute(query)),
    listen: async (channel, onNotify) => {
      if (!listenable) throw new Error(`LISTEN ${channel} is not available on this connection (Hyperdrive)`)
      const sub = await client.listen(channel, (payload) => onNotify(payload))
      return async () => sub.unlisten()
    },
    ping: async () => {
      await client`select 1`
    },
    close: async () => {
      await client.end({ timeout: 5 })
    },
  }
}
