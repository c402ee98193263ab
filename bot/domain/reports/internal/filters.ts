import { and, eq, inArray, type SQL, sql } from 'drizzle-orm'
import type { AnyPgColumn } from 'drizzle-orm/pg-core'
import { departments, userDepartments, users } from '../../../../db/schema'
import { escapeLike } from '../../../lib/sql-like'
import type { ServiceContext } from '../../context'
import { InvalidInputError } from '../../errors'
import { type ActorScope, scopeFilter } from '../../org/data-scope'
import { MAX_REPORT_DAYS, type ReportQuery } from '../schemas'

const DAY_MS = 86_400_000

/**
 * The tenant's calendar offset from UTC. China has had one time zone without daylight saving since 1991, so
 * a fixed +08:00 is exact for Beijing time; a per-tenant zone setting plugs in here.
 */
export const TENANT_OFFSET_HOURS = 8

/** A report period as UTC instants: `[start, end)`, from the first day's midnight to the day after the last. */
export interface Period {
  start: Date
  end: Date
  days: number
}

/** The period of a query; a reversed or over-long period is a 400 naming `to`. */
export function periodOf(q: Pick<ReportQuery, 'from' | 'to'>): Period {
  const offset = `+${String(TENANT_OFFSET_HOURS).padStart(2, '0')}:00`
  const start = new Date(`${q.from}T00:00:00${offset}`)
  const lastDay = new Date(`${q.to}T00:00:00${offset}`)
  const days = Math.round((lastDay.getTime() - start.getTime()) / DAY_MS) + 1
  if (days < 1) throw new InvalidInputError('to', 'the period ends before it starts')
  if (days > MAX_REPORT_DAYS)
    throw new InvalidInputError('to', `a report covers at most ${MAX_REPORT_DAYS} days`)
  return { start, end: new Date(lastDay.getTime() + DAY_MS), days }
}

/** `[start, end)` on a timestamp column: a plain range, so the column's index serves it. */
export const inPeriod = (column: AnyPgColumn, p: Period): SQL =>
  sql`${column} >= ${p.start.toISOString()}::timestamptz and ${column} < ${p.end.toISOString()}::timestamptz`

/** `[from, to]` (both inclusive) on a calendar-day column (due dates, expected close dates). */
export const inDays = (column: AnyPgColumn, q: Pick<ReportQuery, 'from' | 'to'>): SQL =>
  sql`${column} >= ${q.from}::date and ${column} <= ${q.to}::date`

/** The bucket label of a calendar-day column, like `bucketOf` for timestamps. */
export function bucketOfDay(column: AnyPgColumn | SQL, bucket: 'month' | 'week' | 'day'): SQL<string> {
  if (bucket === 'month') return sql<string>`to_char(${column}, 'YYYY-MM')`
  if (bucket === 'week') return sql<string>`to_char(date_trunc('week', ${column}::timestamp), 'YYYY-MM-DD')`
  return sql<string>`to_char(${column}, 'YYYY-MM-DD')`
}

/** A timestamp column as the tenant's local wall-clock time. */
const local = (column: AnyPgColumn | SQL): SQL =>
  sql`((${column} at time zone 'UTC') + interval '${sql.raw(String(TENANT_OFFSET_HOURS))} hours')`

/** The bucket label of a timestamp: `2026-12`, `2026-12-07` (the Monday of its week) or `2026-12-03`. */
export function bucketOf(column: AnyPgColumn | SQL, bucket: 'month' | 'week' | 'day'): SQL<string> {
  if (bucket === 'month') return sql<string>`to_char(${local(column)}, 'YYYY-MM')`
  if (bucket === 'week') return sql<string>`to_char(date_trunc('week', ${local(column)}), 'YYYY-MM-DD')`
  return sql<string>`to_char(${local(column)}, 'YYYY-MM-DD')`
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
  const parts: SQL[] = [scopeFilter(scope, column)]
  if (q.departmentId) {
    const [d] = await ctx.db
      .select({ id: departments.id, path: departments.path })
      .from(departments)
      .where(and(eq(departments.tenantId, ctx.tenantId), eq(departments.id, q.departmentId)))
    if (!d) throw new InvalidInputError('departmentId', `no department ${q.departmentId} in this tenant`)
    const where = q.includeSub
      ? sql`${departments.path} like ${`${escapeLike(d.path)}%`}`
      : sql`${departments.id} = ${d.id}`
    parts.push(
      inArray(
        column,
        sql`(select ${userDepartments.userId} from ${userDepartments}
             inner join ${departments} on ${departments.id} = ${userDepartments.departmentId}
             where ${userDepartments.tenantId} = ${ctx.tenantId} and ${where})`,
      ),
    )
  }
  if (q.userId) {
    const [u] = await ctx.db
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.tenantId, ctx.tenantId), eq(users.id, q.userId)))
    if (!u) throw new InvalidInputError('userId', `no person ${q.userId} in this tenant`)
    parts.push(eq(column, q.userId))
  }
  return and(...parts) as SQL
}
