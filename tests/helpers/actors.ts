import type { ServiceContext } from '../../bot/domain/context'
import { type Clock, systemClock } from '../../bot/lib/clock'
import type { Database } from '../../db/client'
import type { SeededOrg } from '../../db/seed/org'

export const silent = { debug() {}, info() {}, warn() {}, error() {} }

/** The id of a seeded person by their key (`wangjianguo`). */
export const uid = (org: SeededOrg, key: string): string => {
  const v = org.users[key]
  if (!v) throw new Error(`no user ${key}`)
  return v
}

/** A service context acting as a seeded person, through the given channel. */
export function actingAs(
  database: Database,
  org: SeededOrg,
  key: string,
  via: Extract<ServiceContext['actor'], { kind: 'user' }>['via'],
  clock: Clock = systemClock,
): ServiceContext {
  return {
    tenantId: org.tenantId,
    actor: { kind: 'user', userId: uid(org, key), via },
    db: database.db,
    clock,
    logger: silent,
  }
}
