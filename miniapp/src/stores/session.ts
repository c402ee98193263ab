import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import type { AuthResponse, SessionUser } from '@/api/contract'
import { setDisplayTimeZone } from '@/lib/time-zone'

const STORAGE_KEY = 'flowcard.session'
/** Treat a token as gone slightly before the bot does, so a request never races its expiry. */
const EXPIRY_MARGIN_MS = 30_000

interface StoredSession {
  token: string
  expiresAt: string
  user: SessionUser
}

function isSessionUser(value: unknown): value is SessionUser {
  if (typeof value !== 'object' || value === null) return false
  const { id, name, roles } = value as Partial<Record<keyof SessionUser, unknown>>
  return typeof id === 'string' && typeof name === 'string' && Array.isArray(roles)
}

function isStoredSession(value: unknown): value is StoredSession {
  if (typeof value !== 'object' || value === null) return false
  const { token, expiresAt, user } = value as Partial<Record<keyof StoredSession, unknown>>
  return typeof token === 'string' && typeof expiresAt === 'string' && isSessionUser(user)
}

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage
  } catch {
    return null
  }
}

function load(): StoredSession | null {
  try {
    const raw = storage()?.getItem(STORAGE_KEY)
    const parsed: unknown = raw ? JSON.parse(raw) : null
    return isStoredSession(parsed) ? parsed : null
  } catch {
    return null
  }
}

function save(session: StoredSession | null): void {
  try {
    if (session) storage()?.setItem(STORAGE_KEY, JSON.stringify(session))
    else storage()?.removeItem(STORAGE_KEY)
  } catch {
    // Private mode or a full quota: the session simply lives for this page only.
  }
}

/**
 * The signed-in user and their bearer token, kept in localStorage so reopening the app inside the chat
 * client does not need a new login round trip while the token is valid.
 */
export const useSessionStore = defineStore('session', () => {
  const stored = load()
  const token = ref<string | null>(stored?.token ?? null)
  const expiresAt = ref<string | null>(stored?.expiresAt ?? null)
  const user = ref<SessionUser | null>(stored?.user ?? null)
  // Times are shown in the tenant's zone from the moment the user is known.
  watch(user, (u) => setDisplayTimeZone(u?.timeZone), { immediate: true })

  function hasValidToken(now = Date.now()): boolean {
    if (!token.value || !expiresAt.value) return false
    const expiry = Date.parse(expiresAt.value)
    return Number.isNaN(expiry) || expiry - EXPIRY_MARGIN_MS > now
  }

  const isAuthenticated = computed(() => hasValidToken())

  function persist(): void {
    save(
      token.value && expiresAt.value && user.value
        ? { token: token.value, expiresAt: expiresAt.value, user: user.value }
        : null,
    )
  }

  function setSession(auth: AuthResponse): void {
    token.value = auth.token
    expiresAt.value = auth.expiresAt
    user.value = auth.user
    persist()
  }

  function setUser(next: SessionUser): void {
    user.value = next
    persist()
  }

  function clear(): void {
    token.value = null
    expiresAt.value = null
    user.value = null
    save(null)
  }

  return { token, expiresAt, user, isAuthenticated, hasValidToken, setSession, setUser, clear }
})

export type SessionStore = ReturnType<typeof useSessionStore>
