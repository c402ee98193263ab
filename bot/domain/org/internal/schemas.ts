import { z } from 'zod'

const optionalText = z.string().trim().min(1).max(500).optional()

export const directoryDepartmentSchema = z.object({
  externalId: z.string().trim().min(1).max(200),
  name: z.string().trim().min(1).max(200),
  parentExternalId: z.string().trim().min(1).max(200).nullable(),
  leaderOpenId: z.string().trim().min(1).max(200).nullable(),
  order: z.number().finite(),
})

export const directoryUserSchema = z.object({
  openId: z.string().trim().min(1).max(200),
  unionId: optionalText,
  userId: optionalText,
  name: z.string().trim().min(1).max(200),
  enName: optionalText,
  email: optionalText,
  mobile: optionalText,
  avatarUrl: z.string().max(2000).optional(),
  jobTitle: optionalText,
  departmentExternalIds: z.array(z.string().trim().min(1).max(200)).max(200),
  managerOpenId: optionalText,
  /** A zone this runtime does not know is stored as none (the tenant's applies), not a reason to refuse the sync. */
  timeZone: z.string().max(500).optional(),
  active: z.boolean(),
})

/** A platform's whole directory, as an adapter's `syncDirectory` returns it. */
export const applyDirectorySchema = z.object({
  platform: z.enum(['feishu', 'dingtalk', 'devchat']),
  departments: z.array(directoryDepartmentSchema).max(50_000),
  users: z.array(directoryUserSchema).max(200_000),
})

export type ApplyDirectoryInput = z.infer<typeof applyDirectorySchema>

export const ensureTenantSchema = z.object({
  platform: z.enum(['feishu', 'dingtalk', 'devchat']),
  tenantKey: z.string().trim().min(1).max(200),
  name: z.string().trim().min(1).max(200).optional(),
})
export type EnsureTenantInput = z.infer<typeof ensureTenantSchema>

/** What a directory sync knows about who should be an admin. */
export const syncRoleGrantsSchema = z.object({
  platform: z.enum(['feishu', 'dingtalk', 'devchat']),
  /** The platform's app administrators (open ids); null when the platform does not tell. */
  platformAdminOpenIds: z.array(z.string().min(1).max(200)).max(10_000).nullable(),
  /** FLOWCARD_ADMINS: emails, mobiles, platform user ids or open ids; null leaves those grants alone. */
  bootstrapAdmins: z.array(z.string().min(1).max(200)).max(1000).nullable().default(null),
})
export type SyncRoleGrantsInput = z.input<typeof syncRoleGrantsSchema>
