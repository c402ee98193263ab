import { and, eq } from 'drizzle-orm'
import { departments, FOLLOW_COMPANY_ZONE, roles, userIdentities, userRoles, users } from '../../../db/schema'
import { knownZone } from '../../lib/time-zone'
import { actorId, type ServiceContext } from '../context'
import { NotFoundError } from '../errors'
import { loadActorScope } from './data-scope'
import { loadPermissions } from './permissions'
import { tenantTimeZone } from './time-zone'

export interface Me {
  id: string
  name: string
  enName: string | null
  avatarUrl: string | null
  jobTitle: string | null
  locale: 'zh-CN' | 'en'
  department: { id: string; name: string } | null
  roles: Array<{ key: string; name: string }>
  scope: string
  /** Named permissions held through roles (`*` = all). */
  permissions: string[]
  identities: Array<{ platform: string; openId: string | null }>
  /** The zone times are shown in: their own (chosen, else the directory's), else the tenant's (China time by default). */
  timeZone: string
  /** Where `timeZone` comes from: their choice in the app, the platform directory, or the company. */
  timeZoneSource: 'own' | 'directory' | 'company'
  /** The tenant's zone, what "follow the company" means. */
  companyTimeZone: string
}

/** The acting user with department, roles and data scope. */
export async function getMe({ ctx }: { ctx: ServiceContext }): Promise<Me> {
  const userId = actorId(ctx.actor)
  if (!userId) throw new NotFoundError('user')
  const [user] = await ctx.db
    .select({
      id: users.id,
      name: users.name,
      enName: users.enName,
      avatarUrl: users.avatarUrl,
      jobTitle: users.jobTitle,
      locale: users.locale,
      directoryTimeZone: users.timeZone,
      timeZoneChoice: users.timeZoneChoice,
      departmentId: users.departmentId,
      departmentName: departments.name,
    })
    .from(users)
    .leftJoin(departments, eq(departments.id, users.departmentId))
    .where(and(eq(users.tenantId, ctx.tenantId), eq(users.id, userId)))
  if (!user) throw new NotFoundError('user', userId)
  const [roleRows, identityRows, scope, permissions, companyTimeZone] = await Promise.all([
    ctx.db
      .select({ key: roles.key, name: roles.name })
      .from(userRoles)
      .innerJoin(roles, eq(roles.id, userRoles.roleId))
      .where(and(eq(userRoles.tenantId, ctx.tenantId), eq(userRoles.userId, userId))),
    ctx.db
      .select({ platform: userIdentities.platform, openId: userIdentities.openId })
      .from(userIdentities)
      .where(and(eq(userIdentities.tenantId, ctx.tenantId), eq(userIdentities.userId, userId))),
    loadActorScope(ctx),
    loadPermissions(ctx),
    tenantTimeZone(ctx),
  ])
  return {
    id: user.id,
    name: user.name,
    enName: user.enName,
    avatarUrl: user.avatarUrl,
    jobTitle: user.jobTitle,
    locale: user.locale === 'en' ? 'en' : 'zh-CN',
    department: user.departmentId ? { id: user.departmentId, name: user.departmentName ?? '' } : null,
    roles: [...new Map(roleRows.map((r) => [r.key, r])).values()],
    permissions: [...new Set(permissions)].sort(),
    scope: scope.scope,
    identities: identityRows,
    ...effectiveZone(user, companyTimeZone),
    companyTimeZone,
  }
}

/** Their choice, else the directory's zone, else the company's (the rule `ownTimeZone` states in SQL). */
function effectiveZone(
  user: { directoryTimeZone: string | null; timeZoneChoice: string | null },
  company: string,
): Pick<Me, 'timeZone' | 'timeZoneSource'> {
  if (user.timeZoneChoice === FOLLOW_COMPANY_ZONE) return { timeZone: company, timeZoneSource: 'company' }
  const chosen = knownZone(user.timeZoneChoice)
  if (chosen) return { timeZone: chosen, timeZoneSource: 'own' }
  const directory = knownZone(user.directoryTimeZone)
  if (directory) return { timeZone: directory, timeZoneSource: 'directory' }
  return { timeZone: company, timeZoneSource: 'company' }
}
