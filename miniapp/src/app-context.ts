import { type InjectionKey, inject } from 'vue'
import type { SignIn } from '@/auth/sign-in'
import type { PlatformBridge } from '@/platform/types'

/** Services wired by hand in `main.ts` and provided to every component. */
export interface AppContext {
  bridge: PlatformBridge
  signIn: SignIn
}

export const appContextKey: InjectionKey<AppContext> = Symbol('flowcard.app-context')

export function useAppContext(): AppContext {
  const context = inject(appContextKey, null)
  if (!context) throw new Error('AppContext is not provided; see main.ts')
  return context
}
