import type { SQL } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/postgres-js'
import postgres from 'postgres'
import { resultRows } from '../bot/lib/sql-rows'
import type { Database, Db } from './client'
import * as schema from './schema'
import { UNNAMED_STATEMENT } from './unnamed'

/**
 * PostgreSQL through postgres.js, with no Node-only import: `db/client.ts` uses it on Node, and the Workers
 * entry over Hyperdrive's connection string (postgres.js resolves its `workerd` build there, which speaks
 * through `cloudflare:sockets`).
 */

/** Normalises a driver's `execute` result (postgres.js: array, PGlite: `{ rows }`) to rows. */
export const rowsOf = resultRows

export interface PostgresOptions {
  /** Pool size (Workers allow 6 open connections per request, so at most 5 there). */
  max: number
  /** LISTEN needs a direct connection; Hyperdrive does not carry it, so the Workers entry turns it off. */
  listen?: boolean
  /** Called with the text of every statement sent (benches count statements per operation with it). */
  onStatement?: (text: string, parameters: unknown[]) => void
  /**
   * Run the ORM's statements as named prepared statements (default true). The Workers entry turns it off:
   * named statements have not been tried through Hyperdrive's connection pooling.
   */
  prepare?: boolean
  /** Milliseconds a statement may run before PostgreSQL cancels it (default 15 s; 0: no limit). */
  statementTimeoutMs?: number
}

/**
 * Statements at most this long, with at most this many parameters, are prepared. Longer ones (bulk inserts,
 * long IN lists) run unnamed, so a connection never holds a plan per batch size of an import. The channel
 * analysis reads all its figures in one statement of up to ~8.5 KB (a few shapes, by how the period splits).
 */
const PREPARE_MAX_CHARS = 16_000
const PREPARE_MAX_PARAMS = 100

type Client = ReturnType<typeof postgres>

/**
 * The ORM sends every statement unnamed (`prepare: false`), and postgres.js then spends two round trips on
 * each statement with parameters (Parse/Describe, then Bind/Execute) and PostgreSQL parses and plans it every
 * time. Named, a statement the connection has seen costs one round trip and no parse: a card tap went from 14
 * socket writes to 8. This wraps the client (and every transaction and savepoint it opens) so the ORM's
 * statements are prepared, keyed by their text on each connection.
 */
function preparing<T extends Client>(client: T): T {
  return new Proxy(client, {
    get(target, key, receiver) {
      if (key === 'unsafe') {
        return (text: string, params?: unknown[], options?: Record<string, unknown>) =>
          target.unsafe(text, params as never, {
            ...options,
            prepare:
              text.length <= PREPARE_MAX_CHARS &&
              (params?.length ?? 0) <= PREPARE_MAX_PARAMS &&
              !text.startsWith(UNNAMED_STATEMENT),
          })
      }
      if (key === 'begin' || key === 'savepoint') {
        const open = Reflect.get(target, key, receiver) as (...args: unknown[]) => unknown
        return (...args: unknown[]) => {
          const last = args.length - 1
          const fn = args[last] as (sql: Client) => unknown
          return open.apply(target, [...args.slice(0, last), (sql: Client) => fn(preparing(sql))])
        }
      }
      return Reflect.get(target, key, receiver)
    },
  })
}

/**
 * A URL naming a Unix socket directory the libpq way (`postgres://user@/db?host=/var/run/postgresql`): the
 * URL without that parameter (postgres.js would send it to the server as a setting) and the directory, for
 * postgres.js's `host` option (postgres.js itself reads only the URL's host name, and would send `host` to the
 * server as a setting, which refuses it). Where the database allows only local connections this is the way
 * in; it is not faster here: the single-process bench's CPU per tap was the same through the socket as
 * through loopback TCP (2.92/2.62 vs 2.82/2.50 ms) — the cost is the write itself, not the TCP stack.
 */
export function socketTarget(url: string): { url: string; host: string | null } {
  let parsed: URL
  try {
    // Without a host name (`postgres://user@/db`, `postgres:///db`) the URL parser refuses it, and so would
    // postgres.js: a placeholder host, which the `host` option then overrides.
    parsed = new URL(url.replace(/^(postgres(?:ql)?:\/\/(?:[^@/?#]*@)?)(?=[/?#]|$)/, '$1localhost'))
  } catch {
    return { url, host: null }
  }
  const host = parsed.searchParams.get('host')
  if (!host?.startsWith('/')) return { url, host: null }
  parsed.searchParams.delete('host')
  return { url: parsed.toString(), host }
}

export function openPostgres(url: string, options: PostgresOptions): Database {
  const target = socketTarget(url)
  const client = postgres(target.url, {
    ...(target.host ? { host: target.host } : {}),
    max: options.max,
    onnotice: () => {},
    // A black-holed database fails a request in seconds instead of hanging it (postgres.js waits 30 s).
    connect_timeout: 5,
    // Idle connections close after a minute and every connection is renewed within half an hour, so a pool
    // never holds sockets a failover or a restarted proxy has silently dropped.
    idle_timeout: 60,
    max_lifetime: 30 * 60,
    // JIT off: the reports' scoped aggregates are costed above jit_above_cost (the scope's OR'd sub-select
    // inflates the estimates), and compiling took 60-110 ms per query on the reports bench — more than the
    // queries' own work, which reads a few thousand rows.
    connection: {
      application_name: 'flowcard',
      statement_timeout: options.statementTimeoutMs ?? 15_000,
      jit: 'off',
    },
    // postgres.js waits (3^failures / 100) s, up to 20 s, before reconnecting after failed attempts, and the
    // failure count is shared by the pool: after a short outage the first request stalled for seconds. Capped
    // at half a second, so service resumes as soon as the database answers.
    backoff: (failures: number) => Math.min(0.05 * 2 ** failures, 0.5),
    ...(options.onStatement
      ? {
          debug: (_conn: number, text: string, parameters: unknown[]) =>
            options.onStatement?.(text, parameters),
        }
      : {}),
  })
  const db = drizzle({
    client: options.prepare === false ? client : preparing(client),
    schema,
    casing: 'snake_case',
  }) as unknown as Db
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
    dedicated: () =>
      openPostgres(url, { ...options, max: 1, listen: false, statementTimeoutMs: 0, prepare: false }),
  }
}
