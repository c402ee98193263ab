import { downloadFile } from './download'
import type { paths } from './schema'
import { api, type Schemas, unwrap } from './typed'

export type DirectoryStatus = Schemas['DirectoryStatus']
export type DirectoryPerson = Schemas['DirectoryPerson']
export type DirectoryDepartment = Schemas['DirectoryDepartment']
export type AdminRole = Schemas['Role']
export type RoleMembers = Schemas['RoleMembers']
export type AuditItem = Schemas['AuditItem']
export type PermissionInfo = Schemas['PermissionInfo']
export type CrmRules = Schemas['CrmRules']
export type PeopleQuery = NonNullable<paths['/api/v1/admin/people']['get']['parameters']['query']>
export type AuditQuery = NonNullable<paths['/api/v1/admin/audit']['get']['parameters']['query']>
export type RoleChange = NonNullable<paths['/api/v1/admin/roles/{roleId}']['patch']['requestBody']>['content']['application/json']

export const getDirectoryStatus = (signal?: AbortSignal) => unwrap(api().GET('/api/v1/admin/directory', { signal }))
export const syncDirectory = () => unwrap(api().POST('/api/v1/admin/directory/sync'))
export const listAdminPeople = (query: PeopleQuery, signal?: AbortSignal) =>
  unwrap(api().GET('/api/v1/admin/people', { params: { query }, signal }))
export const listAdminDepartments = async (signal?: AbortSignal) =>
  (await unwrap(api().GET('/api/v1/admin/departments', { signal }))).items

export const listPermissions = async (signal?: AbortSignal) =>
  (await unwrap(api().GET('/api/v1/admin/permissions', { signal }))).items
export const listRoles = async (signal?: AbortSignal) => (await unwrap(api().GET('/api/v1/admin/roles', { signal }))).items
export const updateRole = (roleId: string, body: RoleChange) =>
  unwrap(api().PATCH('/api/v1/admin/roles/{roleId}', { params: { path: { roleId } }, body }))
export const listRoleMembers = (roleId: string, signal?: AbortSignal) =>
  unwrap(api().GET('/api/v1/admin/roles/{roleId}/members', { params: { path: { roleId } }, signal }))
export const grantRole = (roleId: string, body: { userIds?: string[]; departmentIds?: string[] }) =>
  unwrap(api().POST('/api/v1/admin/roles/{roleId}/members', { params: { path: { roleId } }, body }))
export const revokeRoleFromUser = (roleId: string, userId: string) =>
  unwrap(api().DELETE('/api/v1/admin/roles/{roleId}/members/users/{userId}', { params: { path: { roleId, userId } } }))
export const revokeRoleFromDepartment = (roleId: string, departmentId: string) =>
  unwrap(
    api().DELETE('/api/v1/admin/roles/{roleId}/members/departments/{departmentId}', {
      params: { path: { roleId, departmentId } },
    }),
  )

export const listAudit = (query: AuditQuery, signal?: AbortSignal) =>
  unwrap(api().GET('/api/v1/admin/audit', { params: { query }, signal }))
export function downloadAuditCsv(query: Omit<AuditQuery, 'limit' | 'before'>): Promise<void> {
  const qs = new URLSearchParams(
    Object.entries(query)
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => [k, String(v)]),
  )
  return downloadFile(`/api/v1/admin/audit/export?${qs}`, 'audit.csv')
}

export const listAllTemplates = async (signal?: AbortSignal) =>
  (await unwrap(api().GET('/api/v1/approvals/templates', { params: { query: { all: 'true' } }, signal }))).items
export const setTemplateActive = (key: string, active: boolean) =>
  active
    ? unwrap(api().POST('/api/v1/admin/approval-templates/{key}/enable', { params: { path: { key } } }))
    : unwrap(api().POST('/api/v1/admin/approval-templates/{key}/disable', { params: { path: { key } } }))

export const getCrmRules = (signal?: AbortSignal) => unwrap(api().GET('/api/v1/crm/rules', { signal }))
export const saveCrmRules = (body: CrmRules) => unwrap(api().PUT('/api/v1/crm/rules', { body }))

type NewTemplate = NonNullable<paths['/api/v1/approvals/templates']['post']['requestBody']>['content']['application/json']
type TemplateVersion = NonNullable<paths['/api/v1/approvals/templates/{key}']['put']['requestBody']>['content']['application/json']
/** Creates a template at version 1; a flow that cannot work is a 400 naming the node. */
export const createTemplate = (body: NewTemplate) => unwrap(api().POST('/api/v1/approvals/templates', { body }))
/** Publishes a new version; `baseVersion` makes a concurrent publish a 409 instead of a silent overwrite. */
export const publishTemplate = (key: string, body: TemplateVersion) =>
  unwrap(api().PUT('/api/v1/approvals/templates/{key}', { params: { path: { key } }, body }))

/** The chat card a draft would start with (checked as a publish; nothing saved). */
export const previewTemplateCard = (body: NewTemplate) =>
  unwrap(api().POST('/api/v1/approvals/templates/preview', { body }))

/** The tenant's settings: the time zone every card, page and export shows times in. */
export const getTenantSettings = (signal?: AbortSignal) => unwrap(api().GET('/api/v1/admin/settings', { signal }))
export const saveTenantSettings = (body: { timeZone: string }) => unwrap(api().PUT('/api/v1/admin/settings', { body }))
