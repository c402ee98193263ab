import { z } from 'zod'
import { GRANT_SOURCES } from '../../../db/schema'
import { InvalidInputError } from '../errors'
import { PERMISSIONS } from './permissions'

const permissionNames = Object.keys(PERMISSIONS) as [string, ...string[]]
const families = [
  ...new Set(permissionNames.filter((p) => p.includes('.')).map((p) => `${p.split('.')[0]}.*`)),
]

/** A permission a role may hold: a catalogue name, or a family wildcard (`crm.*`). */
export const permissionName = z.string().refine((p) => permissionNames.includes(p) || families.includes(p), {
  message: `unknown permission; one of ${[...permissionNames, ...families].join(', ')}`,
})

export const dataScopeName = z.enum(['self', 'department', 'department_tree', 'all'])

export const listPeopleSchema = z.object({
  q: z.string().trim().max(100).optional(),
  departmentId: z.string().max(100).optional(),
  /** Comma-separated person ids (at most 200): the names behind ids a page already holds, e.g. a flow's approvers. */
  ids: z
    .string()
    .max(20_000)
    .regex(/^[A-Za-z0-9_-]+(,[A-Za-z0-9_-]+){0,199}$/, 'at most 200 person ids, separated by commas')
    .optional(),
  status: z.enum(['active', 'inactive', 'all']).default('active'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
})
export type ListPeopleInput = z.input<typeof listPeopleSchema>

export const createRoleSchema = z.object({
  key: z
    .string()
    .regex(/^[a-z][a-z0-9_]{1,39}$/, 'a key is a lowercase letter then lowercase letters, digits or _'),
  name: z.string().trim().min(1).max(40),
  nameEn: z.string().trim().min(1).max(60).optional(),
  description: z.string().trim().max(200).optional(),
  dataScope: dataScopeName.default('self'),
  permissions: z.array(permissionName).max(50).default([]),
})
export type CreateRoleInput = z.input<typeof createRoleSchema>

export const updateRoleSchema = z.object({
  roleId: z.string().min(1).max(100),
  name: z.string().trim().min(1).max(40).optional(),
  nameEn: z.string().trim().min(1).max(60).nullable().optional(),
  description: z.string().trim().max(200).nullable().optional(),
  dataScope: dataScopeName.optional(),
  permissions: z.array(permissionName).max(50).optional(),
})
export type UpdateRoleInput = z.input<typeof updateRoleSchema>

/** Who gets a role: people and/or whole departments. */
export const grantRoleBody = z.object({
  userIds: z.array(z.string().min(1).max(100)).max(500).default([]),
  departmentIds: z.array(z.string().min(1).max(100)).max(200).default([]),
})

export const grantRoleSchema = grantRoleBody
  .extend({ roleId: z.string().min(1).max(100) })
  .refine((v) => v.userIds.length + v.departmentIds.length > 0, {
    message: 'name at least one person or department',
    path: ['userIds'],
  })
export type GrantRoleInput = z.input<typeof grantRoleSchema>

export const revokeRoleSchema = z
  .object({
    roleId: z.string().min(1).max(100),
    userId: z.string().min(1).max(100).optional(),
    departmentId: z.string().min(1).max(100).optional(),
  })
  .refine((v) => !!v.userId !== !!v.departmentId, {
    message: 'name exactly one of userId and departmentId',
    path: ['userId'],
  })
export type RevokeRoleInput = z.input<typeof revokeRoleSchema>

export const listAuditSchema = z.object({
  actorId: z.string().max(100).optional(),
  /** An action or an action prefix (`org.`, `approval.template`). */
  kind: z.string().max(100).optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** Rows older than this id (the last row's id of the previous page). */
  before: z.coerce.number().int().positive().optional(),
})
export type ListAuditInput = z.input<typeof listAuditSchema>

export const grantSourceName = z.enum(GRANT_SOURCES)

/** Parses verb input, turning the first zod issue into a 400 naming the field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const parsed = schema.safeParse(input)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  throw new InvalidInputError(issue?.path.join('.') || 'input', issue?.message ?? 'invalid input')
}
