import type { Db, DbOrTx, Tx } from '../../db/client'
import type { Platform } from '../../db/schema/org'
import type { Clock } from '../lib/clock'
import type { Logger } from '../lib/logger'
import type { Locale } from './locale'

/** Who is acting. Platform actors carry the user they map to; `system` is jobs and schedules. */
export type Actor =
  | { kind: 'user'; userId: string; via: Platform | 'miniapp' | 'api' }
  | { kind: 'system'; reason: string }

/**
 * What every domain verb receives instead of a DI container: the tenant, who acts, and the ports. There is
 * no queue: verbs write outbox rows; only the relay talks to the queue.
 */
export interface ServiceContext {
  tenantId: string
  actor: Actor
  db: DbOrTx
  clock: Clock
  logger: Logger
  /**
   * The reader's language, where the caller reads the answer (the mini-app's `Accept-Language`): names come
   * from the directory's English name and request titles render in English for `en`. Absent: Chinese.
   */
  locale?: Locale
}

/** Runs `fn` in a transaction (or joins the caller's), handing it a context bound to the transaction. */
export async function withTransaction<T>(
  ctx: ServiceContext,
  fn: (tx: Tx, txCtx: ServiceContext) => Promise<T>,
): Promise<T> {
  if (isTx(ctx.db)) return fn(ctx.db, ctx)
  return (ctx.db as Db).transaction(async (tx) => fn(tx, { ...ctx, db: tx }))
}

function isTx(db: DbOrTx): db is Tx {
  return 'rollback' in db
}

export const actorId = (actor: Actor): string | null => (actor.kind === 'user' ? actor.userId : null)

/** The ports a context is built from: what an entry (a request, a tap, a job) holds. */
export interface ContextPorts {
  db: DbOrTx
  clock: Clock
  logger: Logger
}

/**
 * The context of a person acting in a tenant (an API call, a chat message, a card tap, a job that runs as the
 * person who started it). `via` is how they reached us. The one place a user context is built.
 */
export function userContext(
  ports: ContextPorts,
  input: { tenantId: string; userId: string; via: Platform | 'miniapp' | 'api'; locale?: Locale },
): ServiceContext {
  return {
    tenantId: input.tenantId,
    actor: { kind: 'user', userId: input.userId, via: input.via },
    db: ports.db,
    clock: ports.clock,
    logger: ports.logger,
    ...(input.locale ? { locale: input.locale } : {}),
  }
}

/** The context of the system acting in a tenant (jobs, schedules, syncs); `reason` names what for, in audits. */
export function systemContext(
  ports: ContextPorts,
  input: { tenantId: string; reason: string },
): ServiceContext {
  return {
    tenantId: input.tenantId,
    actor: { kind: 'system', reason: input.reason },
    db: ports.db,
    clock: ports.clock,
    logger: ports.logger,
  }
}
