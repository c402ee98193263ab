import type { AuthResponse } from '@/api/contract'
import type { LoginCode, PlatformBridge } from '@/platform/types'

export type SignInResult = 'signed-in' | 'no-code'

export interface SignIn {
  /**
   * Gets a login code from the bridge and swaps it for a session. Concurrent callers (several requests
   * hitting 401 at once, the login page) share one attempt, since platform codes are single-use.
   * Rejects with `PlatformError` or `ApiError`.
   */
  run(): Promise<SignInResult>
  /** The attempt in progress, if any (settles like `run()`); null when no sign-in is running. */
  pending(): Promise<SignInResult> | null
  /**
   * The error of the last attempt if it failed and nobody has shown it yet (then forgotten). The login
   * page shows it instead of retrying with a code the failed attempt may already have spent.
   */
  takeFailure(): unknown
  /** Whether the last attempt failed and nobody has taken its error yet (`takeFailure`). */
  failed(): boolean
}

export interface SignInDeps {
  bridge: Pick<PlatformBridge, 'getLoginCode'>
  exchange(code: LoginCode): Promise<AuthResponse>
  session: { setSession(auth: AuthResponse): void }
}

export function createSignIn(deps: SignInDeps): SignIn {
  let inFlight: Promise<SignInResult> | null = null
  let failure: { error: unknown } | null = null

  async function attempt(): Promise<SignInResult> {
    try {
      const code = await deps.bridge.getLoginCode()
      if (!code) return 'no-code'
      deps.session.setSession(await deps.exchange(code))
      failure = null
      return 'signed-in'
    } catch (error) {
      failure = { error }
      throw error
    }
  }

  return {
    run() {
      inFlight ??= attempt().finally(() => {
        inFlight = null
      })
      return inFlight
    },
    pending: () => inFlight,
    failed: () => failure !== null,
    takeFailure() {
      const taken = failure?.error ?? null
      failure = null
      return taken
    },
  }
}
