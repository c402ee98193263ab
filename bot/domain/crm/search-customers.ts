import { and, desc, eq, inArray, isNull, type SQL, sql } from 'drizzle-orm'
import { customers, departments, userDepartments } from '../../../db/schema'
import { escapeLike } from '../../lib/sql-like'
import { resultRows as rowsOf } from '../../lib/sql-rows'
import { type ServiceContext, withTransaction } from '../context'
import { InvalidInputError } from '../errors'
import { type CrmAccess, loadCrmAccess, userLabels, visibleCustomers } from './access'
import { regionLabel } from './regions'
import { parseInput, type SearchInput, searchInput, splitTags } from './schemas'
import { normaliseSearch } from './search-text'

export interface CustomerHit {
  id: string
  name: string
  shortName: string | null
  industry: string | null
  tier: string | null
  region: string
  owner: { id: string; name: string } | null
  inPool: boolean
  lastFollowedUpAt: string | null
}

/**
 * Text matches considered per query before the data scope filters them: a single character matches a
 * large share of names, so it looks at fewer (it is a loose query; longer input narrows quickly).
 */
const candidatesFor = (len: number): number => (len === 1 ? 1000 : 5000)

interface HitRow {
  id: string
  name: string
  shortName: string | null
  nameNorm: string
  industry: string | null
  tier: string | null
  provinceCode: string | null
  cityCode: string | null
  districtCode: string | null
  ownerId: string | null
  lastFollowedUpAt: Date | null
}

interface RawHit {
  id: string
  name: string
  short_name: string | null
  name_norm: string
  industry: string | null
  tier: string | null
  province_code: string | null
  city_code: string | null
  district_code: string | null
  owner_id: string | null
  last_followed_up_at: Date | string | null
}

const fromRaw = (r: RawHit): HitRow => ({
  id: r.id,
  name: r.name,
  shortName: r.short_name,
  nameNorm: r.name_norm,
  industry: r.industry,
  tier: r.tier,
  provinceCode: r.province_code,
  cityCode: r.city_code,
  districtCode: r.district_code,
  ownerId: r.owner_id,
  lastFollowedUpAt: r.last_followed_up_at ? new Date(r.last_followed_up_at) : null,
})

/**
 * Ids of the tenant's customers whose name (or pinyin, short name, phone, contact) contains `raw`, as a
 * sub-select for `customer_id in (…)`: on the search indexes (name prefix, trigrams from 3 characters,
 * 1-2 character grams below), never a scan of every name. Empty when `raw` normalises to nothing.
 */
export function customerIdsMatching(tenantId: string, raw: string): SQL {
  const q = normaliseSearch(raw)
  const len = [...q].length
  if (len === 0) return sql`(select ${customers.id} from ${customers} where false)`
  const text =
    len <= 2
      ? sql`${customers.searchGrams} @> array[${q}]::text[]`
      : sql`${customers.searchText} like ${`%${escapeLike(q)}%`}`
  return sql`(select ${customers.id} from ${customers} where ${customers.tenantId} = ${tenantId}
    and (${customers.nameNorm} like ${`${escapeLike(q)}%`} or ${text}))`
}

const hitColumns = {
  id: customers.id,
  name: customers.name,
  shortName: customers.shortName,
  nameNorm: customers.nameNorm,
  industry: customers.industry,
  tier: customers.tier,
  provinceCode: customers.provinceCode,
  cityCode: customers.cityCode,
  districtCode: customers.districtCode,
  ownerId: customers.ownerId,
  lastFollowedUpAt: customers.lastFollowedUpAt,
}

/**
 * Finds customers by name, short name, full pinyin, pinyin initials (`zgyh` → 中国银行), phone or contact
 * name, within the caller's data scope. 3+ characters: trigram-indexed infix `LIKE` on the precomputed
 * search text; 1-2 characters: GIN containment on precomputed 1/2-grams (trigrams cannot serve them);
 * plus a name-prefix branch on a pattern index so exact and prefix matches rank first. Works the same on
 * PostgreSQL and PGlite.
 */
export async function searchCustomers({
  ctx,
  input,
  access,
}: {
  ctx: ServiceContext
  input: SearchInput
  access?: CrmAccess
}): Promise<CustomerHit[]> {
  const {
    q: raw,
    limit,
    filter,
    departmentId,
    subDepartments,
    tags,
    tagMode,
  } = parseInput(searchInput, input)
  const scope = access ?? (await loadCrmAccess(ctx))
  const conds: SQL[] = [visibleCustomers(ctx, scope)]
  if (filter === 'mine') conds.push(eq(customers.ownerId, scope.userId))
  if (filter === 'pool') conds.push(isNull(customers.ownerId))
  if (filter === 'department') conds.push(ownedInMyDepartments(ctx, scope.userId))
  if (departmentId) conds.push(await ownedInDepartment(ctx, departmentId, subDepartments === 'true'))
  const tagList = tags ? splitTags(tags) : []
  if (tagList.length > 0) {
    // jsonb containment: every tag (`@>` of the array) or any of them (`?|`).
    conds.push(
      tagMode === 'all'
        ? sql`${customers.tags} @> ${JSON.stringify(tagList)}::jsonb`
        : sql`${customers.tags} ?| array[${sql.join(
            tagList.map((t) => sql`${t}`),
            sql`, `,
          )}]::text[]`,
    )
  }
  const base = and(...conds) as SQL
  const q = normaliseSearch(raw)
  const len = [...q].length
  let rows: HitRow[]
  if (len === 0) {
    rows = await ctx.db
      .select(hitColumns)
      .from(customers)
      .where(base)
      .orderBy(desc(customers.updatedAt))
      .limit(limit)
  } else {
    /**
     * The text match runs first on its own index (capped, see candidatesFor), the data scope after it on
     * those rows only: left to itself the planner ANDs the text index with the owner index, reading every
     * row a rep owns and the whole pool for a selective query.
     */
    const fenced = async (db: ServiceContext['db'], match: SQL, n: number): Promise<HitRow[]> =>
      rowsOf<RawHit>(
        await db.execute(sql`
          select id, name, short_name, name_norm, industry, tier, province_code, city_code, district_code,
            owner_id, last_followed_up_at
          from (select id, tenant_id, name, short_name, name_norm, industry, tier, province_code, city_code,
                  district_code, owner_id, last_followed_up_at, tags
                from ${customers} where ${customers.tenantId} = ${ctx.tenantId} and ${match}
                limit ${candidatesFor(len)}) as crm_customers
          where ${base}
          limit ${n}`),
      ).map(fromRaw)
    const both = (db: ServiceContext['db']) =>
      Promise.all([
        fenced(db, sql`${customers.nameNorm} like ${`${escapeLike(q)}%`}`, limit),
        len <= 2
          ? fenced(db, sql`${customers.searchGrams} @> array[${q}]::text[]`, limit * 5)
          : fenced(db, sql`${customers.searchText} like ${`%${escapeLike(q)}%`}`, limit * 5),
      ])
    // One character matches a few percent of all names: the planner then prefers a sequential (or tenant
    // index) scan that evaluates the array containment row by row, underestimating that cost (24 ms vs
    // 5 ms at 50k customers for a self-scope rep). Bitmap scans on the text indexes only, for this query.
    const [a, b] =
      len === 1
        ? await withTransaction(ctx, async (tx) => {
            await tx.execute(sql`set local enable_seqscan = off`)
            await tx.execute(sql`set local enable_indexscan = off`)
            try {
              return await both(tx)
            } finally {
              await tx.execute(sql`set local enable_seqscan = on`)
              await tx.execute(sql`set local enable_indexscan = on`)
            }
          })
        : await both(ctx.db)
    const seen = new Set<string>()
    rows = [...a, ...b].filter((r) => {
      if (seen.has(r.id)) return false
      seen.add(r.id)
      return true
    })
    rows.sort((x, y) => rank(x, q) - rank(y, q) || x.name.length - y.name.length)
    rows = rows.slice(0, limit)
  }
  const labels = await userLabels(
    ctx,
    rows.map((r) => r.ownerId),
  )
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    shortName: r.shortName,
    industry: r.industry,
    tier: r.tier,
    region: regionLabel(r),
    owner: r.ownerId ? { id: r.ownerId, name: labels.get(r.ownerId)?.name ?? '' } : null,
    inPool: r.ownerId === null,
    lastFollowedUpAt: r.lastFollowedUpAt ? r.lastFollowedUpAt.toISOString() : null,
  }))
}

/**
 * Customers owned by someone in the department (and below it, by the materialised path). The data scope
 * still applies on top, so a filter never widens what the caller sees. An unknown department is a 400.
 */
async function ownedInDepartment(ctx: ServiceContext, departmentId: string, below: boolean): Promise<SQL> {
  const [dept] = await ctx.db
    .select({ id: departments.id, path: departments.path })
    .from(departments)
    .where(and(eq(departments.tenantId, ctx.tenantId), eq(departments.id, departmentId)))
  if (!dept) throw new InvalidInputError('departmentId', `departmentId: no department ${departmentId}`)
  const match = below
    ? sql`${departments.path} like ${`${escapeLike(dept.path)}%`}`
    : eq(departments.id, dept.id)
  return inArray(
    customers.ownerId,
    sql`(select ${userDepartments.userId} from ${userDepartments}
         inner join ${departments} on ${departments.id} = ${userDepartments.departmentId}
         where ${userDepartments.tenantId} = ${ctx.tenantId} and ${departments.tenantId} = ${ctx.tenantId}
           and ${match})`,
  )
}

/** Customers owned by someone in any of `userId`'s departments or below them (by the materialised path). */
function ownedInMyDepartments(ctx: ServiceContext, userId: string): SQL {
  return inArray(
    customers.ownerId,
    sql`(select member.user_id from ${userDepartments} as member
         inner join ${departments} as d on d.id = member.department_id and d.tenant_id = ${ctx.tenantId}
         inner join (select dd.path from ${userDepartments} as mine
                     inner join ${departments} as dd on dd.id = mine.department_id and dd.tenant_id = ${ctx.tenantId}
                     where mine.tenant_id = ${ctx.tenantId} and mine.user_id = ${userId}) as my_dept
           on starts_with(d.path, my_dept.path)
         where member.tenant_id = ${ctx.tenantId})`,
  )
}

function rank(r: { nameNorm: string; shortName: string | null }, q: string): number {
  const short = r.shortName ? normaliseSearch(r.shortName) : ''
  if (r.nameNorm === q || short === q) return 0
  if (r.nameNorm.startsWith(q)) return 1
  if (short.startsWith(q)) return 2
  if (r.nameNorm.includes(q) || short.includes(q)) return 3
  return 4
}
