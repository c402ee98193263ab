import { sql } from 'drizzle-orm'
import type { DbOrTx } from '../../../../db/client'
import type { PlatformName } from '../../../chat/model'
import { newId } from '../../../lib/ids'

/**
 * The writes a directory sync makes, shared by the full snapshot (`applyDirectory`) and the one-entry
 * change (`applyDirectoryEntry`) so both keep users, memberships and identities the same way.
 */
export interface DepartmentRow {
  id: string
  tenantId: string
  name: string
  parentId: string | null
  path: string
  leaderUserId: string | null
  sortOrder: number
  externalId: string | null
  active: boolean
}

export interface UserWrite {
  row: {
    id: string
    tenantId: string
    name: string
    enName: string | null
    /** Unset: the stored zone stays (a directory source that does not carry it). */
    timeZone?: string | null
    email: string | null
    mobile: string | null
    avatarUrl: string | null
    jobTitle: string | null
    departmentId: string | null
    managerId: string | null
    status: 'active' | 'inactive'
  }
  /** Department ids (ours), first is the primary. */
  memberships: string[]
  identity: { openId: string; unionId?: string | undefined; userId?: string | undefined }
}

/**
 * Rows travel as one JSON parameter read with `jsonb_to_recordset`: a sync writes thousands of rows, and
 * binding each value as its own parameter cost ~1 ms a row on the client, a hundred times the insert.
 */
const json = (rows: unknown[]) => sql`${JSON.stringify(rows)}::jsonb`

export async function upsertDepartments(db: DbOrTx, rows: DepartmentRow[]): Promise<void> {
  if (rows.length === 0) return
  await db.execute(sql`
    insert into departments (id, tenant_id, name, parent_id, path, leader_user_id, sort_order, external_id, active)
    select r.id, r.tenant_id, r.name, r.parent_id, r.path, r.leader_user_id, r.sort_order, r.external_id, r.active
    from jsonb_to_recordset(${json(
      rows.map((d) => ({
        id: d.id,
        tenant_id: d.tenantId,
        name: d.name,
        parent_id: d.parentId,
        path: d.path,
        leader_user_id: d.leaderUserId,
        sort_order: d.sortOrder,
        external_id: d.externalId,
        active: d.active,
      })),
    )}) as r(id text, tenant_id text, name text, parent_id text, path text, leader_user_id text,
             sort_order integer, external_id text, active boolean)
    on conflict (id) do update set
      name = excluded.name, parent_id = excluded.parent_id, path = excluded.path,
      leader_user_id = excluded.leader_user_id, sort_order = excluded.sort_order, active = true,
      updated_at = now()`)
}

/** Users upserted, their memberships replaced, their platform identities upserted. */
export async function upsertUsers(
  db: DbOrTx,
  tenantId: string,
  platform: PlatformName,
  writes: UserWrite[],
): Promise<void> {
  if (writes.length === 0) return
  await db.execute(sql`
    insert into users (id, tenant_id, name, en_name, email, mobile, avatar_url, job_title, department_id,
                       manager_id, status, time_zone)
    select r.id, ${tenantId}, r.name, r.en_name, r.email, r.mobile, r.avatar_url, r.job_title, r.department_id,
           r.manager_id, r.status, r.time_zone
    from jsonb_to_recordset(${json(
      writes.map(({ row: u }) => ({
        id: u.id,
        name: u.name,
        en_name: u.enName,
        email: u.email,
        mobile: u.mobile,
        avatar_url: u.avatarUrl,
        job_title: u.jobTitle,
        department_id: u.departmentId,
        manager_id: u.managerId,
        status: u.status,
        time_zone: u.timeZone ?? null,
      })),
    )}) as r(id text, name text, en_name text, email text, mobile text, avatar_url text, job_title text,
             department_id text, manager_id text, status text, time_zone text)
    on conflict (id) do update set
      name = excluded.name, en_name = excluded.en_name, email = excluded.email, mobile = excluded.mobile,
      avatar_url = excluded.avatar_url, job_title = excluded.job_title, department_id = excluded.department_id,
      manager_id = excluded.manager_id, status = excluded.status,
      time_zone = coalesce(excluded.time_zone, users.time_zone), updated_at = now()
    where users.tenant_id = ${tenantId}`)
  const ids = writes.map((w) => w.row.id)
  await db.execute(sql`
    delete from user_departments
    where tenant_id = ${tenantId} and user_id in (select jsonb_array_elements_text(${json(ids)}))`)
  const memberships = writes.flatMap((w) =>
    [...new Set(w.memberships)].map((departmentId) => ({ user_id: w.row.id, department_id: departmentId })),
  )
  if (memberships.length > 0)
    await db.execute(sql`
      insert into user_departments (tenant_id, user_id, department_id)
      select ${tenantId}, r.user_id, r.department_id
      from jsonb_to_recordset(${json(memberships)}) as r(user_id text, department_id text)
      on conflict do nothing`)
  await db.execute(sql`
    insert into user_identities (id, tenant_id, user_id, platform, open_id, union_id, platform_user_id)
    select r.id, ${tenantId}, r.user_id, ${platform}::platform, r.open_id, r.union_id, r.platform_user_id
    from jsonb_to_recordset(${json(
      writes.map((w) => ({
        id: newId('idn'),
        user_id: w.row.id,
        open_id: w.identity.openId,
        union_id: w.identity.unionId ?? null,
        platform_user_id: w.identity.userId ?? null,
      })),
    )}) as r(id text, user_id text, open_id text, union_id text, platform_user_id text)
    on conflict (tenant_id, platform, open_id) do update set
      union_id = coalesce(excluded.union_id, user_identities.union_id),
      platform_user_id = coalesce(excluded.platform_user_id, user_identities.platform_user_id)`)
}
