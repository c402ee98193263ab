import { storeToRefs } from 'pinia'
import { computed } from 'vue'
import { useSessionStore } from '@/stores/session'

/** The permissions that open the admin console (any one of them shows its entry). */
export const ADMIN_PERMISSIONS = [
  'org.admin',
  'audit.view',
  'approvals.admin',
  'crm.manage',
  'crm.leads.manage',
  'reports.targets.manage',
] as const
export type AdminPermission = (typeof ADMIN_PERMISSIONS)[number]

/** Whether `granted` (the session's permission names) covers `permission` (`*`, `crm.*` families). */
export function holds(granted: readonly string[] | undefined, permission: string): boolean {
  if (!granted) return false
  if (granted.includes('*') || granted.includes(permission)) return true
  const parts = permission.split('.')
  for (let i = parts.length - 1; i > 0; i--) if (granted.includes(`${parts.slice(0, i).join('.')}.*`)) return true
  return false
}

/** Which parts of the admin console the signed-in user may open (from the session's permission names). */
export function useAdminAccess() {
  const { user } = storeToRefs(useSessionStore())
  const granted = computed(() => user.value?.permissions ?? [])
  const can = (permission: string) => holds(granted.value, permission)
  const any = computed(() => ADMIN_PERMISSIONS.some((p) => can(p)))
  return { can, any }
}
