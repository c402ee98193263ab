import { onMounted, ref } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { useAppContext } from '@/app-context'
import { safeRedirect } from '@/router/redirect'
import { type ErrorDescription, useErrorMessage } from './use-error-message'

export type LoginState =
  | { kind: 'signing-in' }
  | { kind: 'no-code' }
  | { kind: 'signed-out' }
  | ({ kind: 'error' } & ErrorDescription)

/**
 * The login page's flow: sign in silently through the platform bridge as soon as the page opens (unless
 * the user just signed out), then continue to the page that sent them here.
 */
export function useLogin() {
  const { bridge, signIn } = useAppContext()
  const route = useRoute()
  const router = useRouter()
  const { describeError } = useErrorMessage()
  const state = ref<LoginState>(route.query.signedOut ? { kind: 'signed-out' } : { kind: 'signing-in' })

  async function start(): Promise<void> {
    state.value = { kind: 'signing-in' }
    try {
      const result = await signIn.run()
      if (result === 'no-code') {
        state.value = { kind: 'no-code' }
        return
      }
      await router.replace(safeRedirect(route.query.redirect))
    } catch (error) {
      state.value = { kind: 'error', ...describeError(error) }
    }
  }

  onMounted(() => {
    if (state.value.kind !== 'signing-in') return
    // A sign-in started with the app (a code in the URL) failed and sent us here: say why.
    const failure = signIn.takeFailure()
    if (failure) state.value = { kind: 'error', ...describeError(failure) }
    else void start()
  })

  return { state, start, platform: bridge.name }
}
