import { and, eq, lt } from 'drizzle-orm'
import type { DbOrTx } from '../../../../db/client'
import { approvalExternalNonces, approvalExternalSystems } from '../../../../db/schema'
import type { Clock } from '../../../lib/clock'
import { openSecrets } from '../../../lib/secret-box'
import { DomainError } from '../../errors'
import type { ExternalSystemRow } from './manage-systems'
import { NONCE_RE, REPLAY_WINDOW_SECONDS, SIGNATURE_HEADERS, verifyPayload } from './signature'

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
  const timestamp = headers(SIGNATURE_HEADERS.timestamp)?.trim() ?? ''
  const nonce = headers(SIGNATURE_HEADERS.nonce)?.trim() ?? ''
  const signature = headers(SIGNATURE_HEADERS.signature)?.trim() ?? ''
  for (const [name, value] of [
    [SIGNATURE_HEADERS.system, systemId],
    [SIGNATURE_HEADERS.timestamp, timestamp],
    [SIGNATURE_HEADERS.nonce, nonce],
    [SIGNATURE_HEADERS.signature, signature],
  ] as const) {
    if (!value) throw refuse(`missing ${name} header`, name)
  }
  if (!/^\d{9,11}$/.test(timestamp))
    throw refuse('timestamp must be unix seconds', SIGNATURE_HEADERS.timestamp)
  const now = clock.now()
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > REPLAY_WINDOW_SECONDS)
    throw refuse(`timestamp is outside the ${REPLAY_WINDOW_SECONDS} s window`, SIGNATURE_HEADERS.timestamp)
  if (!NONCE_RE.test(nonce)) throw refuse('nonce must be 16-64 of A-Z a-z 0-9 _ -', SIGNATURE_HEADERS.nonce)
  if (systemId.length > 64) throw refuse('unknown system', SIGNATURE_HEADERS.system)
  const [system] = await db
    .select()
    .from(approvalExternalSystems)
    .where(eq(approvalExternalSystems.id, systemId))
  // An unknown system and a bad signature answer alike: nothing tells a prober which ids exist.
  const secrets = system
    ? await openSecrets(
        [
          system.secret,
          ...(system.previousSecret && system.previousSecretUntil && system.previousSecretUntil > now
            ? [system.previousSecret]
            : []),
        ],
        'external-system',
      )
    : []
  if (!system || !(await verifyPayload(secrets, signature, timestamp, nonce, body)))
    throw refuse('signature does not match', SIGNATURE_HEADERS.signature)
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
