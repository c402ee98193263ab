import { and, eq, inArray, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../../../db/client'
import { departments, userDepartments, userIdentities, users } from '../../../../db/schema'
import type { PlatformName } from '../../../chat/model'
import { newId } from '../../../lib/ids'

/**
 * The writes a directory sync makes, shared by the full snapshot (`applyDirectory`) and the one-entry
 * change (`applyDirectoryEntry`) so both keep users, memberships and identities the same way.
 */
export type DepartmentRow = typeof departments.$inferInsert

export interface UserWrite {
  row: typeof users.$inferInsert & { id: string }
  /** Department ids (ours), first is the primary. */
  memberships: string[]
  identity: { openId: string; unionId?: string | undefined; userId?: string | undefined }
}

export async function upsertDepartments(db: DbOrTx, rows: DepartmentRow[]): Promise<void> {
  if (rows.length === 0) return
  await db
    .insert(departments)
    .values(rows)
    .onConflictDoUpdate({
      target: departments.id,
      set: {
        name: sql`excluded.name`,
        parentId: sql`excluded.parent_id`,
        path: sql`excluded.path`,
        leaderUserId: sql`excluded.leader_user_id`,
        sortOrder: sql`excluded.sort_order`,
        active: sql`true`,
        updatedAt: sql`now()`,
      },
    })
}

/** Users upserted, their memberships replaced, their platform identities upserted. */
export async function upsertUsers(
  db: DbOrTx,
  tenantId: string,
  platform: PlatformName,
  writes: UserWrite[],
): Promise<void> {
  if (writes.length === 0) return
  await db
    .insert(users)
    .values(writes.map((w) => w.row))
    .onConflictDoUpdate({
      target: users.id,
      set: {
        name: sql`excluded.name`,
        enName: sql`excluded.en_name`,
        email: sql`excluded.email`,
        mobile: sql`excluded.mobile`,
        avatarUrl: sql`excluded.avatar_url`,
        jobTitle: sql`excluded.job_title`,
        departmentId: sql`excluded.department_id`,
        managerId: sql`excluded.manager_id`,
        status: sql`excluded.status`,
        updatedAt: sql`now()`,
      },
    })
  const ids = writes.map((w) => w.row.id)
  await db
    .delete(userDepartments)
    .where(and(eq(userDepartments.tenantId, tenantId), inArray(userDepartments.userId, ids)))
  const memberships = writes.flatMap((w) =>
    [...new Set(w.memberships)].map((departmentId) => ({ tenantId, userId: w.row.id, departmentId })),
  )
  if (memberships.length > 0) await db.insert(userDepartments).values(memberships).onConflictDoNothing()
  await db
    .insert(userIdentities)
    .values(
      writes.map((w) => ({
        id: newId('idn'),
        tenantId,
        userId: w.row.id,
        platform,
        openId: w.identity.openId,
        unionId: w.identity.unionId ?? null,
        platformUserId: w.identity.userId ?? null,
      })),
    )
    .onConflictDoUpdate({
      target: [userIdentities.tenantId, userIdentities.platform, userIdentities.openId],
      set: { unionId: sql`excluded.union_id`, platformUserId: sql`excluded.platform_user_id` },
    })
}
