import { showConfirmDialog } from 'vant'
import 'vant/es/dialog/style/index'
import { useRouter } from 'vue-router'
import { useSessionStore } from '@/stores/session'
import { useT } from './use-t'

/** Asks, then drops the session and shows the login page without signing in again on its own. */
export function useLogout() {
  const t = useT()
  const router = useRouter()
  const session = useSessionStore()

  async function logout(): Promise<void> {
    try {
      await showConfirmDialog({ message: t('me.logoutConfirm'), confirmButtonText: t('me.logout') })
    } catch {
      return
    }
    session.clear()
    await router.replace({ name: 'login', query: { signedOut: '1' } })
  }

  return { logout }
}
