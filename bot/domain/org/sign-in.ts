import type { Database } from '../../../db/client'
import type { Platform } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { signToken } from '../../lib/session-token'
import { DomainError } from '../errors'
import { resolveActor } from './resolve-actor'

export const SESSION_TTL_SECONDS = 12 * 3600

/** Issues a session for a platform user; refuses people outside the directory or who have left. */
export async function signIn(
  database: Database,
  secret: string,
  identity: { platform: Platform; tenantKey: string; openId: string },
  nowSeconds: number,
): Promise<{ token: string; expiresAt: string; tenantId: string; userId: string }> {
  const resolved = await resolveActor(database.db, identity.platform, identity.tenantKey, identity.openId)
  if (!resolved?.user) {
    throw new DomainError(
      'forbidden',
      'this account is not in the organisation directory; ask an admin to sync it',
    )
  }
  if (resolved.user.status !== 'active')
    throw new DomainError('forbidden', 'this account is no longer active')
  const exp = nowSeconds + SESSION_TTL_SECONDS
  const token = await signToken(secret, {
    t: resolved.tenantId,
    u: resolved.user.id,
    p: identity.platform,
    exp,
    k: 'session',
    j: newId('ses'),
  })
  return {
    token,
    expiresAt: new Date(exp * 1000).toISOString(),
    tenantId: resolved.tenantId,
    userId: resolved.user.id,
  }
}
