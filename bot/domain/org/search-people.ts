import { and, asc, eq, ilike, or, type SQL } from 'drizzle-orm'
import { z } from 'zod'
import { departments, users } from '../../../db/schema'
import { escapeLike } from '../../lib/sql-like'
import type { ServiceContext } from '../context'

export const searchPeopleInput = z.object({
  q: z.string().trim().max(50).optional(),
  departmentId: z.string().max(60).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
})

export interface PersonItem {
  id: string
  name: string
  enName: string | null
  jobTitle: string | null
  avatarUrl: string | null
  departmentId: string | null
  departmentName: string | null
}

/**
 * Active colleagues of the tenant by name, English name, title or mobile, for pickers (approvers, transfer,
 * add-sign, notice audiences). Names and titles are directory data every employee sees in the chat client
 * anyway, so no data scope applies; mobile numbers are matched but never returned.
 */
export async function searchPeople({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: z.infer<typeof searchPeopleInput>
}): Promise<PersonItem[]> {
  const conditions: SQL[] = [eq(users.tenantId, ctx.tenantId), eq(users.status, 'active')]
  if (input.q) {
    const like = `%${escapeLike(input.q)}%`
    const match = or(
      ilike(users.name, like),
      ilike(users.enName, like),
      ilike(users.jobTitle, like),
      ilike(users.mobile, like),
    )
    if (match) conditions.push(match)
  }
  if (input.departmentId) conditions.push(eq(users.departmentId, input.departmentId))
  return ctx.db
    .select({
      id: users.id,
      name: users.name,
      enName: users.enName,
      jobTitle: users.jobTitle,
      avatarUrl: users.avatarUrl,
      departmentId: users.departmentId,
      departmentName: departments.name,
    })
    .from(users)
    .leftJoin(departments, eq(departments.id, users.departmentId))
    .where(and(...conditions))
    .orderBy(asc(users.name))
    .limit(input.limit)
}
