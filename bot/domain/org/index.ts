/** The org area's public surface: what code outside bot/domain/org/ may import. */
export {
  createRoleSchema,
  grantRoleBody,
  listAuditSchema,
  listPeopleSchema,
  updateRoleSchema,
} from './admin-schemas'
export { applyDirectory } from './apply-directory'
export { applyDirectoryEntry } from './apply-directory-entry'
export { createRole } from './create-role'
export { installDefaultRoles } from './default-roles'
export { ensureTenant } from './ensure-tenant'
export { getDirectoryStatus } from './get-directory-status'
export { getMe } from './get-me'
export { grantRole } from './grant-role'
export { listDepartments } from './list-departments'
export { listDirectoryDepartments } from './list-directory-departments'
export { listDirectoryPeople } from './list-directory-people'
export { listRoleMembers } from './list-role-members'
export { listRoles } from './list-roles'
export { PERMISSIONS, type Permission, requirePermission } from './permissions'
export { requestDirectorySync } from './request-directory-sync'
export { type ResolvedActor, resolveActor } from './resolve-actor'
export { resolveUserId } from './resolve-user-id'
export { revokeRole } from './revoke-role'
export { searchPeople, searchPeopleInput } from './search-people'
export { setLocale } from './set-locale'
export { setMyTimeZone } from './set-my-time-zone'
export { signIn } from './sign-in'
export { type SyncRoleGrantsResult, syncRoleGrants } from './sync-role-grants'
export { getTenantSettings, setTenantSettings, tenantTimeZone } from './time-zone'
export { APPLY_CONTACT_CHANGE, SYNC_DIRECTORY } from './topics'
export { updateRole } from './update-role'
