import { newId } from '../../bot/lib/ids'
import { signToken } from '../../bot/lib/session-token'
import { TEST_SESSION_SECRET } from './app'

/** A valid mini-app session header for a user of a tenant (as `POST /api/v1/auth/*` would issue). */
export async function sessionHeader(tenantId: string, userId: string): Promise<{ authorization: string }> {
  const token = await signToken(TEST_SESSION_SECRET, {
    t: tenantId,
    u: userId,
    p: 'devchat',
    exp: Math.floor(Date.now() / 1000) + 3600,
    k: 'session',
    j: newId('ses'),
  })
  return { authorization: `Bearer ${token}` }
}
