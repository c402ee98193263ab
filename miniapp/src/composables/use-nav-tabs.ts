import { computed } from 'vue'
import { useRoute } from 'vue-router'
import type { NavIconName } from '@/components/shell/line-icons'
import type { MessageKey } from '@/i18n'

export type TabName = 'home' | 'customers' | 'approvals' | 'notices' | 'reports' | 'me' | 'admin'

export interface NavTab {
  name: TabName
  /** Route name of the tab's root page. */
  route: TabName
  labelKey: MessageKey
  icon: NavIconName
}

export const NAV_TABS: readonly NavTab[] = [
  { name: 'home', route: 'home', labelKey: 'nav.home', icon: 'home' },
  { name: 'customers', route: 'customers', labelKey: 'nav.customers', icon: 'customers' },
  { name: 'approvals', route: 'approvals', labelKey: 'nav.approvals', icon: 'approvals' },
  { name: 'notices', route: 'notices', labelKey: 'nav.notices', icon: 'notices' },
  { name: 'reports', route: 'reports', labelKey: 'nav.reports', icon: 'reports' },
  { name: 'me', route: 'me', labelKey: 'nav.me', icon: 'me' },
]

/** The admin console's entry: in the desktop side navigation for people holding an admin permission. */
export const ADMIN_TAB: NavTab = { name: 'admin', route: 'admin', labelKey: 'nav.admin', icon: 'admin' }

/** The navigation entries and which one the current route belongs to. */
export function useNavTabs() {
  const route = useRoute()
  const activeTab = computed<TabName | undefined>(() => route.meta.tab)
  /** Detail pages (deep links from cards) hide the phone tab bar to give the content the full height. */
  const showTabbar = computed(() => route.meta.tab !== undefined && !route.meta.detail)
  return { tabs: NAV_TABS, activeTab, showTabbar }
}
