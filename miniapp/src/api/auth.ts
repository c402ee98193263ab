import type { LoginCode } from '@/platform/types'
import type { AuthResponse, SessionUser } from './contract'
import { api, unwrap } from './typed'

/** Swaps a platform login code for a session. Not authenticated, so a 401 here never loops. */
export function exchangeLoginCode({ platform, code }: LoginCode): Promise<AuthResponse> {
  return unwrap(api({ auth: false }).POST('/api/v1/auth/{platform}', { params: { path: { platform } }, body: { code } }))
}

export function fetchMe(): Promise<SessionUser> {
  return unwrap(api().GET('/api/v1/me'))
}

/** Sets one's own time zone (an IANA name), or `null` to follow the company's; answers the updated user. */
export function saveMyTimeZone(timeZone: string | null): Promise<SessionUser> {
  return unwrap(api().PUT('/api/v1/me/time-zone', { body: { timeZone } }))
}
