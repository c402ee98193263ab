import { and, eq, inArray, type SQL, sql } from 'drizzle-orm'
import type { AnyPgColumn } from 'drizzle-orm/pg-core'
import { departments, userDepartments, users } from '../../../../db/schema'
import { escapeLike } from '../../../lib/sql-like'
import { addDays, zonedDayStart } from '../../../lib/zoned'
import type { ServiceContext } from '../../context'
import { InvalidInputError } from '../../errors'
import { type ActorScope, scopeMembers } from '../../org/data-scope'
import { MAX_REPORT_DAYS, type ReportQuery } from '../schemas'

const DAY_MS = 86_400_000

/**
 * A report period as UTC instants: `[start, end)`, from the first day's midnight to the midnight after the
 * last, both in the tenant's time zone (`zone`, which also buckets timestamps into local months and days).
 */
export interface Period {
  start: Date
  end: Date
  days: number
  zone: string
}

/** The period of a query in `zone`; a reversed or over-long period is a 400 naming `to`. */
export function periodOf(q: Pick<ReportQuery, 'from' | 'to'>, zone: string): Period {
  // Calendar days between the two dates (UTC dates: no daylight-saving hour in between to round away).
  const days = Math.round((Date.parse(`${q.to}T00:00:00Z`) - Date.parse(`${q.from}T00:00:00Z`)) / DAY_MS) + 1
  if (days < 1) throw new InvalidInputError('to', 'the period ends before it starts')
  if (days > MAX_REPORT_DAYS)
    throw new InvalidInputError('to', `a report covers at most ${MAX_REPORT_DAYS} days`)
  return { start: zonedDayStart(q.from, zone), end: zonedDayStart(addDays(q.to, 1), zone), days, zone }
}

/** `[start, end)` on a timestamp column: a plain range, so the column's index serves it. */
export const inPeriod = (column: AnyPgColumn, p: Period): SQL =>
  sql`${column} >= ${p.start.toISOString()}::timestamptz and ${column} < ${p.end.toISOString()}::timestamptz`

/** `[from, to]` (both inclusive) on a calendar-day column (due dates, expected close dates). */
export const inDays = (column: AnyPgColumn, q: Pick<ReportQuery, 'from' | 'to'>): SQL =>
  sql`${column} >= ${q.from}::date and ${column} <= ${q.to}::date`

/**
 * How a day rollup with a month rollup beside it reads `[from, to]` (inclusive days): `months`, the `[start,
 * end)` month-first days read whole from the month rollup (or null), plus the day rollup's `add` ranges and
 * minus its `subtract` ranges (`[from, to]` inclusive each). A month the period covers in part is read as its
 * days in the period, or — when fewer of its days lie outside — as the whole month less those outside days.
 */
export interface MonthSplit {
  months: [string, string] | null
  add: Array<[string, string]>
  subtract: Array<[string, string]>
}

const monthFirst = (day: string): string => `${day.slice(0, 7)}-01`
const nextMonthFirst = (day: string): string => {
  const d = new Date(`${day.slice(0, 7)}-01T00:00:00Z`)
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString().slice(0, 10)
}
const daysIn = (from: string, to: string): number =>
  Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1

export function splitMonths(from: string, to: string): MonthSplit {
  const out: MonthSplit = { months: null, add: [], subtract: [] }
  for (let m = monthFirst(from); m <= to; m = nextMonthFirst(m)) {
    const last = addDays(nextMonthFirst(m), -1)
    const a = from > m ? from : m
    const b = to < last ? to : last
    const inside = daysIn(a, b)
    const whole = daysIn(m, last)
    if (inside * 2 <= whole) {
      out.add.push([a, b])
      continue
    }
    out.months = [out.months ? out.months[0] : m, nextMonthFirst(m)]
    if (m < a) out.subtract.push([m, addDays(a, -1)])
    if (b < last) out.subtract.push([addDays(b, 1), last])
  }
  return out
}

/** The bucket label of a calendar-day column, like `bucketOf` for timestamps. */
export function bucketOfDay(column: AnyPgColumn | SQL, bucket: 'month' | 'week' | 'day'): SQL<string> {
  if (bucket === 'month') return sql<string>`to_char(${column}, 'YYYY-MM')`
  if (bucket === 'week') return sql<string>`to_char(date_trunc('week', ${column}::timestamp), 'YYYY-MM-DD')`
  return sql<string>`to_char(${column}, 'YYYY-MM-DD')`
}

/** A timestamp column as wall-clock time in `zone` (an IANA name, daylight saving included). */
// The zone is written as a literal, not a parameter: the same expression appears in SELECT and GROUP BY, and
// PostgreSQL matches them only when they are the same text. It comes from `tenantTimeZone` (checked to be a
// zone name), quotes doubled all the same.
const local = (column: AnyPgColumn | SQL, zone: string): SQL =>
  sql`(${column} at time zone ${sql.raw(`'${zone.replace(/'/g, "''")}'`)})`

/**
 * The bucket label of a timestamp in the tenant's zone (`period.zone`): `2026-12`, `2026-12-07` (the Monday
 * of its week) or `2026-12-03`.
 */
export function bucketOf(
  column: AnyPgColumn | SQL,
  bucket: 'month' | 'week' | 'day',
  period: Pick<Period, 'zone'>,
): SQL<string> {
  const at = local(column, period.zone)
  if (bucket === 'month') return sql<string>`to_char(${at}, 'YYYY-MM')`
  if (bucket === 'week') return sql<string>`to_char(date_trunc('week', ${at}), 'YYYY-MM-DD')`
  return sql<string>`to_char(${at}, 'YYYY-MM-DD')`
}

/**
 * The data scope as one IN over the caller and their departments' people — the same rows as `scopeFilter`'s
 * `person = me or person in (…)`, but a semi-join the (tenant, person, …) indexes serve: the OR form left
 * PostgreSQL a scan of the tenant's whole table (the person-day rollup, all deals) for a department's report.
 */
function inScope(scope: ActorScope, column: AnyPgColumn): SQL {
  if (scope.scope === 'all') return sql`true`
  const members = scopeMembers(scope)
  return members
    ? sql`${column} in (select ${scope.userId}::text union ${members})`
    : eq(column, scope.userId)
}

/**
 * Rows whose person column (owner, author, visitor, initiator) the caller may see and that match the
 * department and person filters. The filters only narrow the data scope: asking for a department outside it
 * yields the part of it the caller may see (often nothing), never more.
 */
export async function peopleFilter(
  ctx: ServiceContext,
  scope: ActorScope,
  q: Pick<ReportQuery, 'departmentId' | 'includeSub' | 'userId'>,
  column: AnyPgColumn,
): Promise<SQL> {
  const parts: SQL[] = [inScope(scope, column)]
  const { department } = await filterTargets(ctx, q)
  if (department) {
    const where = q.includeSub
      ? sql`${departments.path} like ${`${escapeLike(department.path)}%`}`
      : sql`${departments.id} = ${department.id}`
    parts.push(
      inArray(
        column,
        sql`(select ${userDepartments.userId} from ${userDepartments}
             inner join ${departments} on ${departments.id} = ${userDepartments.departmentId}
             where ${userDepartments.tenantId} = ${ctx.tenantId} and ${where})`,
      ),
    )
  }
  if (q.userId) parts.push(eq(column, q.userId))
  return and(...parts) as SQL
}

type FilterTargets = { department: { id: string; path: string } | null }
/** The filters' department and person, looked up once per query (a report builds several filters). */
const looked = new WeakMap<object, Promise<FilterTargets>>()

/** The department and person a query filters by, checked to exist in the tenant (else a 400 naming it). */
function filterTargets(
  ctx: ServiceContext,
  q: Pick<ReportQuery, 'departmentId' | 'includeSub' | 'userId'>,
): Promise<FilterTargets> {
  let hit = looked.get(q)
  if (!hit) {
    hit = lookUp(ctx, q)
    looked.set(q, hit)
  }
  return hit
}

async function lookUp(
  ctx: ServiceContext,
  q: Pick<ReportQuery, 'departmentId' | 'userId'>,
): Promise<FilterTargets> {
  const [d, u] = await Promise.all([
    q.departmentId
      ? ctx.db
          .select({ id: departments.id, path: departments.path })
          .from(departments)
          .where(and(eq(departments.tenantId, ctx.tenantId), eq(departments.id, q.departmentId)))
          .then((r) => r[0])
      : undefined,
    q.userId
      ? ctx.db
          .select({ id: users.id })
          .from(users)
          .where(and(eq(users.tenantId, ctx.tenantId), eq(users.id, q.userId)))
          .then((r) => r[0])
      : undefined,
  ])
  if (q.departmentId && !d)
    throw new InvalidInputError('departmentId', `no department ${q.departmentId} in this tenant`)
  if (q.userId && !u) throw new InvalidInputError('userId', `no person ${q.userId} in this tenant`)
  return { department: d ?? null }
}
