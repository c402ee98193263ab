import { and, eq } from 'drizzle-orm'
import type { ServiceContext } from '../../bot/domain/context'
import type { Clock } from '../../bot/lib/clock'
import { systemClock } from '../../bot/lib/clock'
import { newId } from '../../bot/lib/ids'
import type { Database } from '../../db/client'
import { outbox } from '../../db/schema'
import type { SeededOrg } from '../../db/seed/org'
import { actingAs, silent, uid } from '../helpers/actors'
import { createTestTenant } from '../helpers/db'
import { sessionHeader } from '../helpers/session'

export { say, tap } from '../helpers/chat'

export { silent }

export interface CrmTenant extends SeededOrg {
  tenantKey: string
}

export async function crmTenant(database: Database): Promise<CrmTenant> {
  const tenantKey = newId('tk')
  const org = await createTestTenant(database, { tenantKey })
  return { ...org, tenantKey }
}

export { uid }

export const ctxAs = (
  database: Database,
  org: SeededOrg,
  key: string,
  clock: Clock = systemClock,
): ServiceContext => actingAs(database, org, key, 'miniapp', clock)

export function systemCtx(database: Database, org: SeededOrg, clock: Clock = systemClock): ServiceContext {
  return {
    tenantId: org.tenantId,
    actor: { kind: 'system', reason: 'test' },
    db: database.db,
    clock,
    logger: silent,
  }
}

export const fixedClock = (d: Date): Clock => ({ now: () => d })
export const DAY = 86_400_000

/** A bearer header for a user of the tenant (the mini-app's session). */
export const bearer = (org: SeededOrg, key: string): Promise<Record<string, string>> =>
  sessionHeader(org.tenantId, uid(org, key))

/** The tenant's pending send jobs (cards and texts waiting in the outbox). */
export async function outboxOf(database: Database, org: SeededOrg, topic = 'send.message') {
  return database.db
    .select()
    .from(outbox)
    .where(and(eq(outbox.tenantId, org.tenantId), eq(outbox.topic, topic)))
    .orderBy(outbox.id)
}
