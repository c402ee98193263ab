import { and, eq, sql } from 'drizzle-orm'
import { z } from 'zod'
import { departments, userIdentities, users } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { knownZone } from '../../lib/time-zone'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { InvalidInputError } from '../errors'
import { upsertDepartments, upsertUsers } from './internal/directory-writes'
import { directoryDepartmentSchema, directoryUserSchema } from './internal/schemas'

/**
 * One contact change, applied without a full directory sync: the platform's current record of one user or
 * department (fetched by the adapter when the contact event arrived), or word that it is gone. Returns
 * `needsFullSync` instead of guessing when the record points at a department this tenant does not know
 * yet (its own event may still be on the way); the caller then runs the full sync.
 */
export const applyDirectoryEntrySchema = z.object({
  platform: z.enum(['feishu', 'dingtalk', 'devchat']),
  user: directoryUserSchema.optional(),
  department: directoryDepartmentSchema.optional(),
  gone: z
    .object({ entity: z.enum(['user', 'department']), externalId: z.string().min(1).max(200) })
    .optional(),
  /**
   * First contact of a person on a tenant whose directory is still being pulled: record them now with the
   * departments already known (the full sync running behind fills in the rest); a person already known is
   * left as they are.
   */
  provisional: z.boolean().optional(),
})
export type ApplyDirectoryEntryInput = z.infer<typeof applyDirectoryEntrySchema>

export type ApplyDirectoryEntryResult =
  | { applied: true; change: 'user' | 'department' | 'user_left' | 'department_removed' | 'none' }
  | { applied: false; needsFullSync: true; reason: string }

export async function applyDirectoryEntry({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: ApplyDirectoryEntryInput
}): Promise<ApplyDirectoryEntryResult> {
  const parsed = applyDirectoryEntrySchema.safeParse(input)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new InvalidInputError(issue?.path.join('.') || 'entry', issue?.message ?? 'invalid directory entry')
  }
  const { platform, user, department, gone, provisional } = parsed.data
  return withTransaction(ctx, async (tx, txCtx) => {
    const tenantId = txCtx.tenantId
    // The same lock as the full sync: an entry never interleaves with a snapshot being applied.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`directory:${tenantId}`}))`)
    const userIdOf = async (openId: string): Promise<string | null> => {
      const [row] = await tx
        .select({ userId: userIdentities.userId })
        .from(userIdentities)
        .where(
          and(
            eq(userIdentities.tenantId, tenantId),
            eq(userIdentities.platform, platform),
            eq(userIdentities.openId, openId),
          ),
        )
      return row?.userId ?? null
    }
    const deptOf = async (externalId: string) => {
      const [row] = await tx
        .select({ id: departments.id, path: departments.path, parentId: departments.parentId })
        .from(departments)
        .where(and(eq(departments.tenantId, tenantId), eq(departments.externalId, externalId)))
      return row ?? null
    }

    if (gone?.entity === 'user') {
      const id = await userIdOf(gone.externalId)
      if (!id) return { applied: true, change: 'none' }
      const changed = await tx
        .update(users)
        .set({ status: 'inactive', updatedAt: sql`now()` })
        .where(and(eq(users.tenantId, tenantId), eq(users.id, id), eq(users.status, 'active')))
        .returning({ id: users.id })
      if (changed.length > 0)
        await recordAudit(txCtx, {
          action: 'org.user_left',
          targetType: 'user',
          targetId: id,
          after: { platform },
        })
      return { applied: true, change: 'user_left' }
    }
    if (gone?.entity === 'department') {
      const d = await deptOf(gone.externalId)
      if (!d) return { applied: true, change: 'none' }
      await tx
        .update(departments)
        .set({ active: false, updatedAt: sql`now()` })
        .where(and(eq(departments.tenantId, tenantId), eq(departments.id, d.id)))
      await recordAudit(txCtx, {
        action: 'org.department_removed',
        targetType: 'department',
        targetId: d.id,
        after: { platform },
      })
      return { applied: true, change: 'department_removed' }
    }

    if (department) {
      const parentExternal =
        department.parentExternalId && department.parentExternalId !== department.externalId
          ? department.parentExternalId
          : null
      const parent = parentExternal ? await deptOf(parentExternal) : null
      if (parentExternal && !parent)
        return { applied: false, needsFullSync: true, reason: `unknown parent department ${parentExternal}` }
      const existing = await deptOf(department.externalId)
      const id = existing?.id ?? newId('dep')
      const path = `${parent?.path ?? '/'}${id}/`
      if (existing && parent?.path.startsWith(existing.path))
        return { applied: false, needsFullSync: true, reason: 'department moved under its own subtree' }
      const leaderUserId = department.leaderOpenId ? await userIdOf(department.leaderOpenId) : null
      await upsertDepartments(tx, [
        {
          id,
          tenantId,
          name: department.name,
          parentId: parent?.id ?? null,
          path,
          leaderUserId,
          sortOrder: Math.trunc(department.order),
          externalId: department.externalId,
          active: true,
        },
      ])
      // Moved: every department below follows (materialised paths).
      if (existing && existing.path !== path) {
        await tx.execute(sql`
          update departments set path = ${path} || substr(path, ${existing.path.length + 1}), updated_at = now()
          where tenant_id = ${tenantId} and path like ${`${existing.path}%`} and id <> ${id}`)
      }
      await recordAudit(txCtx, {
        action: 'org.department_synced',
        targetType: 'department',
        targetId: id,
        after: { platform, name: department.name, moved: !!existing && existing.path !== path },
      })
      return { applied: true, change: 'department' }
    }

    if (user) {
      const existingId = await userIdOf(user.openId)
      if (provisional && existingId) return { applied: true, change: 'none' }
      const memberships: string[] = []
      for (const ext of user.departmentExternalIds) {
        const d = await deptOf(ext)
        if (d) memberships.push(d.id)
        else if (!provisional)
          return { applied: false, needsFullSync: true, reason: `unknown department ${ext}` }
      }
      const id = existingId ?? newId('usr')
      const managerId = user.managerOpenId ? await userIdOf(user.managerOpenId) : null
      await upsertUsers(tx, tenantId, platform, [
        {
          row: {
            id,
            tenantId,
            name: user.name,
            enName: user.enName ?? null,
            timeZone: knownZone(user.timeZone),
            email: user.email ?? null,
            mobile: user.mobile ?? null,
            avatarUrl: user.avatarUrl ?? null,
            jobTitle: user.jobTitle ?? null,
            departmentId: memberships[0] ?? null,
            managerId,
            status: user.active ? 'active' : 'inactive',
          },
          memberships,
          identity: user,
        },
      ])
      await recordAudit(txCtx, {
        action: 'org.user_synced',
        targetType: 'user',
        targetId: id,
        after: {
          platform,
          name: user.name,
          active: user.active,
          departments: new Set(memberships).size,
          ...(provisional ? { provisional: true } : {}),
        },
      })
      return { applied: true, change: 'user' }
    }
    return { applied: true, change: 'none' }
  })
}
