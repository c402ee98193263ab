import { and, eq, lt } from 'drizzle-orm'
import type { DbOrTx } from '../../../../db/client'
import { approvalExternalNonces, approvalExternalSystems } from '../../../../db/schema'
import type { Clock } from '../../../lib/clock'
import { REPLAY_WINDOW_SECONDS, SIGNATURE_HEADERS, verifySignedCall } from '../../../lib/signed-call'
import { DomainError } from '../../errors'
import type { ExternalSystemRow } from './manage-systems'

const refuse = (message: string, header?: string) =>
  new DomainError('unauthenticated', message, header ? { field: header } : {})

/**
 * Authenticates a call of an external system: the system exists and is active, the timestamp is inside
 * the replay window, the signature over timestamp, nonce and the raw body is valid for its secret (or the
 * previous one during the rotation grace period), and the nonce was not used before. Any failure is 401.
 * The nonce is recorded only after the signature checks, so unsigned traffic cannot fill the table.
 */
export async function authenticateExternalCall({
  db,
  clock,
  headers,
  body,
}: {
  db: DbOrTx
  clock: Clock
  headers: (name: string) => string | undefined
  body: string
}): Promise<ExternalSystemRow> {
  const systemId = headers(SIGNATURE_HEADERS.system)?.trim() ?? ''
  const now = clock.now()
  const { holder: system, nonce } = await verifySignedCall({
    headers,
    body,
    now,
    leading: [[SIGNATURE_HEADERS.system, systemId]],
    refuse,
    load: async () => {
      if (systemId.length > 64) throw refuse('unknown system', SIGNATURE_HEADERS.system)
      const [row] = await db
        .select()
        .from(approvalExternalSystems)
        .where(eq(approvalExternalSystems.id, systemId))
      return row
    },
  })
  if (!system.active) throw refuse('this system is switched off', SIGNATURE_HEADERS.system)
  const fresh = await db
    .insert(approvalExternalNonces)
    .values({ systemId, nonce, at: now })
    .onConflictDoNothing()
    .returning({ nonce: approvalExternalNonces.nonce })
  if (fresh.length === 0) throw refuse('nonce already used (replay)', SIGNATURE_HEADERS.nonce)
  // Nonces older than the window can never match again; trim them now and then.
  if (Math.random() < 0.02) {
    await db
      .delete(approvalExternalNonces)
      .where(
        and(
          eq(approvalExternalNonces.systemId, systemId),
          lt(approvalExternalNonces.at, new Date(now.getTime() - 2 * REPLAY_WINDOW_SECONDS * 1000)),
        ),
      )
  }
  return system
}
