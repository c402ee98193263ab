import { and, asc, desc, eq, gte, isNull, lt, type SQL, sql } from 'drizzle-orm'
import {
  approvalInstances,
  approvalTasks,
  contracts,
  customers,
  type DigestKind,
  digestPrefs,
  followUps,
  instalments,
  leads,
  opportunities,
  users,
  visits,
} from '../../../db/schema'
import { addDays, zonedDayStart, zonedNow } from '../../lib/zoned'
import { notify } from '../chat/send'
import { type ServiceContext, userContext, withTransaction } from '../context'
import { parseInput } from '../crm/schemas'
import { InvalidInputError } from '../errors'
import { STALL_DAYS } from '../opportunities'
import { loadActorScope, scopeFilter } from '../org/data-scope'
import { tenantTimeZone } from '../org/time-zone'
import { actorLocale } from './internal/prepare'
import { runReport } from './run-report'
import { type DigestPrefsInput, digestPrefsInput } from './schemas'
import {
  type DigestItem,
  type DigestPerson,
  type DigestSection,
  type MorningBriefData,
  morningBriefView,
  type TeamDigestData,
  teamDigestView,
} from './views'

/** Lines listed per section; the count says how many there are in all. */
const ITEMS = 5
/** When digests go out unless a person chose otherwise (tenant time zone). */
export const DIGEST_DEFAULT_TIME: Record<DigestKind, string> = { morning: '08:30', weekly: '09:00' }
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/
const DAY_MS = 86_400_000
/** People whose digest is built at once during a scan. */
const DIGEST_CONCURRENCY = 6

const item = (title: string, extra: Partial<DigestItem> = {}): DigestItem => ({
  title,
  detail: null,
  path: null,
  at: null,
  cents: null,
  ...extra,
})

const section = (count: number, items: DigestItem[], cents: number | null = null): DigestSection => ({
  count,
  cents,
  items,
})

/**
 * One digest section: `lines` gives the first lines (mapped to items by `toItem`), `total` the count of all
 * of them (and their sum in cents, where the section has one).
 */
async function sectionOf<T>(
  lines: Promise<T[]>,
  total: Promise<Array<{ n: number; cents?: number }>>,
  toItem: (row: T) => DigestItem,
): Promise<DigestSection> {
  const [rows, [c]] = await Promise.all([lines, total])
  return section(Number(c?.n ?? 0), rows.map(toItem), c?.cents === undefined ? null : Number(c.cents))
}

const countAll = sql<number>`count(*)::int`

/**
 * One person's morning brief for the local day `day` in `zone`: follow-ups due and visits planned today,
 * leads assigned in the last day and leads past their first-contact deadline, overdue 回款 of their
 * contracts, and approvals waiting for them. Only their own work, so no wider scope is read.
 */
export async function morningBrief({
  ctx,
  userId,
  day,
  zone,
}: {
  ctx: ServiceContext
  userId: string
  day: string
  zone: string
}): Promise<MorningBriefData> {
  const t = ctx.tenantId
  const start = zonedDayStart(day, zone)
  const end = zonedDayStart(addDays(day, 1), zone)
  const now = ctx.clock.now()
  const [me] = await ctx.db
    .select({ name: users.name })
    .from(users)
    .where(and(eq(users.tenantId, t), eq(users.id, userId)))

  const dueFollowUp = and(
    eq(followUps.tenantId, t),
    eq(customers.ownerId, userId),
    gte(followUps.nextFollowUpAt, start),
    lt(followUps.nextFollowUpAt, end),
    sql`(${customers.lastFollowedUpAt} is null or ${customers.lastFollowedUpAt} <= ${followUps.createdAt})`,
  )
  const plannedVisit = and(
    eq(visits.tenantId, t),
    eq(visits.userId, userId),
    eq(visits.status, 'planned'),
    gte(visits.plannedAt, start),
    lt(visits.plannedAt, end),
  )
  const newLead = and(
    eq(leads.tenantId, t),
    eq(leads.ownerId, userId),
    eq(leads.status, 'new'),
    isNull(leads.mergedIntoId),
    gte(leads.assignedAt, new Date(now.getTime() - DAY_MS)),
  )
  const lateLead = and(
    eq(leads.tenantId, t),
    eq(leads.ownerId, userId),
    eq(leads.status, 'new'),
    isNull(leads.mergedIntoId),
    eq(leads.slaState, 'breached'),
  )
  const overdue = and(
    eq(instalments.tenantId, t),
    eq(contracts.ownerId, userId),
    sql`${contracts.status} in ('active', 'completed')`,
    lt(instalments.dueDate, day),
    sql`${instalments.receivedCents} < ${instalments.amountCents}`,
  )
  const waiting = and(
    eq(approvalTasks.tenantId, t),
    eq(approvalTasks.assigneeId, userId),
    eq(approvalTasks.status, 'pending'),
    eq(approvalTasks.kind, 'approve'),
  )

  const leadSection = (
    where: SQL | undefined,
    at: typeof leads.assignedAt | typeof leads.slaDueAt,
    order: SQL,
  ) =>
    sectionOf(
      ctx.db
        .select({ name: leads.name, company: leads.company, at })
        .from(leads)
        .where(where)
        .orderBy(order)
        .limit(ITEMS),
      ctx.db.select({ n: countAll }).from(leads).where(where),
      (r) => item(r.name, { detail: r.company, at: r.at?.toISOString() ?? null }),
    )

  const [followUpsDue, visitsPlanned, newLeads, overdueLeads, overduePayments, approvals] = await Promise.all(
    [
      sectionOf(
        ctx.db
          .select({ id: customers.id, name: customers.name, at: followUps.nextFollowUpAt })
          .from(followUps)
          .innerJoin(customers, eq(customers.id, followUps.customerId))
          .where(dueFollowUp)
          .orderBy(asc(followUps.nextFollowUpAt))
          .limit(ITEMS),
        ctx.db
          .select({ n: countAll })
          .from(followUps)
          .innerJoin(customers, eq(customers.id, followUps.customerId))
          .where(dueFollowUp),
        (r) => item(r.name, { path: `/customers/${r.id}`, at: r.at?.toISOString() ?? null }),
      ),
      sectionOf(
        ctx.db
          .select({ id: customers.id, name: customers.name, at: visits.plannedAt, purpose: visits.purpose })
          .from(visits)
          .innerJoin(customers, eq(customers.id, visits.customerId))
          .where(plannedVisit)
          .orderBy(asc(visits.plannedAt))
          .limit(ITEMS),
        ctx.db.select({ n: countAll }).from(visits).where(plannedVisit),
        (r) =>
          item(r.name, { detail: r.purpose, path: `/customers/${r.id}`, at: r.at?.toISOString() ?? null }),
      ),
      leadSection(newLead, leads.assignedAt, desc(leads.assignedAt)),
      leadSection(lateLead, leads.slaDueAt, asc(leads.slaDueAt)),
      sectionOf(
        ctx.db
          .select({
            customerId: customers.id,
            customer: customers.name,
            number: contracts.number,
            due: instalments.dueDate,
            open: sql<number>`(${instalments.amountCents} - ${instalments.receivedCents})::float8`,
          })
          .from(instalments)
          .innerJoin(contracts, eq(contracts.id, instalments.contractId))
          .innerJoin(customers, eq(customers.id, contracts.customerId))
          .where(overdue)
          .orderBy(asc(instalments.dueDate))
          .limit(ITEMS),
        ctx.db
          .select({
            n: countAll,
            cents: sql<number>`coalesce(sum(${instalments.amountCents} - ${instalments.receivedCents}), 0)::float8`,
          })
          .from(instalments)
          .innerJoin(contracts, eq(contracts.id, instalments.contractId))
          .where(overdue),
        (r) =>
          item(r.customer, {
            detail: r.number,
            path: `/customers/${r.customerId}`,
            at: r.due,
            cents: Number(r.open),
          }),
      ),
      sectionOf(
        ctx.db
          .select({ id: approvalInstances.id, title: approvalInstances.title, at: approvalTasks.activatedAt })
          .from(approvalTasks)
          .innerJoin(approvalInstances, eq(approvalInstances.id, approvalTasks.instanceId))
          .where(waiting)
          .orderBy(asc(approvalTasks.activatedAt))
          .limit(ITEMS),
        ctx.db.select({ n: countAll }).from(approvalTasks).where(waiting),
        (r) => item(r.title, { path: `/approvals/${r.id}`, at: r.at?.toISOString() ?? null }),
      ),
    ],
  )
  return {
    day,
    name: me?.name ?? '',
    followUps: followUpsDue,
    visits: visitsPlanned,
    newLeads,
    overdueLeads,
    overduePayments,
    approvals,
  }
}

/** True when a brief has nothing in it (no message is sent for an empty day). */
export const briefIsEmpty = (b: MorningBriefData): boolean =>
  [b.followUps, b.visits, b.newLeads, b.overdueLeads, b.overduePayments, b.approvals].every(
    (s) => s.count === 0,
  )

const num = (v: number | null | undefined) => (typeof v === 'number' ? v : 0)
const orNull = (v: number | null | undefined) => (typeof v === 'number' ? v : null)

/**
 * The team digest (or one's own figures) for the month up to `day`, read with the caller's data scope: the
 * achievement report by person against the targets, the funnel, and the open deals without activity for
 * `STALL_DAYS` days.
 */
export async function teamDigest({
  ctx,
  day,
}: {
  ctx: ServiceContext
  day: string
}): Promise<TeamDigestData> {
  const from = `${day.slice(0, 7)}-01`
  const scope = await loadActorScope(ctx)
  const [achievement, funnel, locale] = await Promise.all([
    runReport({ ctx, key: 'achievement', input: { from, to: day, dimension: 'person' } }),
    runReport({ ctx, key: 'funnel', input: { from, to: day } }),
    actorLocale(ctx),
  ])
  const people: DigestPerson[] = achievement.rows
    .map((r) => ({
      name: r.label,
      contract: num(r.values.contractAmount),
      contractTarget: orNull(r.values.contractAmountTarget),
      payment: num(r.values.paymentAmount),
      paymentTarget: orNull(r.values.paymentAmountTarget),
      newCustomers: num(r.values.newCustomers),
    }))
    .sort((a, b) => b.contract - a.contract || b.payment - a.payment || a.name.localeCompare(b.name))
  const tt = achievement.totals
  const cutoff = new Date(ctx.clock.now().getTime() - STALL_DAYS * DAY_MS)
  const stalledWhere = and(
    eq(opportunities.tenantId, ctx.tenantId),
    eq(opportunities.status, 'open'),
    lt(opportunities.lastActivityAt, cutoff),
    scopeFilter(scope, opportunities.ownerId),
  )
  const stalled = await sectionOf(
    ctx.db
      .select({
        name: opportunities.name,
        customerId: opportunities.customerId,
        owner: users.name,
        ownerEn: users.enName,
        cents: opportunities.amountCents,
        last: opportunities.lastActivityAt,
      })
      .from(opportunities)
      .leftJoin(users, eq(users.id, opportunities.ownerId))
      .where(stalledWhere)
      .orderBy(desc(opportunities.amountCents), asc(opportunities.lastActivityAt))
      .limit(ITEMS),
    ctx.db
      .select({ n: countAll, cents: sql<number>`coalesce(sum(${opportunities.amountCents}), 0)::float8` })
      .from(opportunities)
      .where(stalledWhere),
    (r) =>
      item(r.name, {
        detail: (locale === 'en' && r.ownerEn) || r.owner,
        path: `/customers/${r.customerId}`,
        at: r.last.toISOString(),
        cents: Number(r.cents),
      }),
  )
  return {
    scope: scope.scope === 'self' ? 'self' : 'team',
    from,
    to: day,
    totals: {
      name: '',
      contract: num(tt.contractAmount),
      contractTarget: orNull(tt.contractAmountTarget),
      payment: num(tt.paymentAmount),
      paymentTarget: orNull(tt.paymentAmountTarget),
      newCustomers: num(tt.newCustomers),
    },
    people,
    funnel: funnel.rows.map((r) => ({
      label: r.label,
      count: num(r.values.count),
      cents: num(r.values.amount),
      lost: num(r.values.lost),
    })),
    stalled,
    stallDays: STALL_DAYS,
  }
}

/** Today in the tenant's zone. */
export async function tenantToday(ctx: ServiceContext): Promise<string> {
  return zonedNow(ctx.clock.now(), await tenantTimeZone(ctx)).day
}

/**
 * The people a digest of `kind` goes to: everyone active (morning), holders of team reports (weekly), the
 * permission granted by name, by its family (`reports.*`) or by everything (`*`, admins) as `hasPermission` reads it.
 */
function recipientsWhere(ctx: ServiceContext, kind: DigestKind) {
  const base = and(eq(users.tenantId, ctx.tenantId), eq(users.status, 'active'))
  if (kind === 'morning') return base
  return and(
    base,
    sql`exists (select 1 from user_roles ur join roles r on r.id = ur.role_id
                where ur.tenant_id = ${ctx.tenantId} and ur.user_id = ${users.id}
                  and r.permissions ?| array['reports.view.team', 'reports.*', '*'])`,
  )
}

/**
 * The scheduled digest run for one tenant (a system context; the job calls it every few minutes): at or
 * after each person's send time in the tenant's zone, once per period — the morning brief each workday
 * (Monday to Friday), the team digest on Mondays — unless they turned it off. The period is claimed on the
 * person's settings row in the same transaction as the outbox row, so two runs never send it twice; an
 * empty brief claims its day without a message.
 */
export async function runDigests({
  ctx,
}: {
  ctx: ServiceContext
}): Promise<{ morning: number; weekly: number; empty: number }> {
  const zone = await tenantTimeZone(ctx)
  const now = zonedNow(ctx.clock.now(), zone)
  const out = { morning: 0, weekly: 0, empty: 0 }
  if (now.weekday > 5) return out
  const kinds: DigestKind[] = now.weekday === 1 ? ['morning', 'weekly'] : ['morning']
  for (const kind of kinds) {
    const due = await ctx.db
      .select({ id: users.id })
      .from(users)
      .leftJoin(
        digestPrefs,
        and(
          eq(digestPrefs.tenantId, users.tenantId),
          eq(digestPrefs.userId, users.id),
          eq(digestPrefs.kind, kind),
        ),
      )
      .where(
        and(
          recipientsWhere(ctx, kind),
          sql`coalesce(${digestPrefs.enabled}, true)`,
          sql`coalesce(${digestPrefs.sendAt}, ${DIGEST_DEFAULT_TIME[kind]}) <= ${now.time}`,
          sql`${digestPrefs.lastPeriod} is distinct from ${now.day}`,
        ),
      )
      .orderBy(asc(users.id))
    // A few people at a time: building a brief is a handful of small reads, so the scan keeps ahead of the
    // platform's send rate instead of being the bottleneck of the fan-out.
    const one = async (u: { id: string }) => {
      const view =
        kind === 'morning'
          ? await morningBrief({ ctx, userId: u.id, day: now.day, zone }).then((b) =>
              briefIsEmpty(b) ? null : morningBriefView(b),
            )
          : teamDigestView(
              await teamDigest({
                ctx: userContext(ctx, { tenantId: ctx.tenantId, userId: u.id, via: 'api' }),
                day: now.day,
              }),
            )
      const sent = await withTransaction(ctx, async (tx, txCtx) => {
        const claimed = await tx
          .insert(digestPrefs)
          .values({ tenantId: ctx.tenantId, userId: u.id, kind, lastPeriod: now.day })
          .onConflictDoUpdate({
            target: [digestPrefs.tenantId, digestPrefs.userId, digestPrefs.kind],
            set: { lastPeriod: now.day },
            setWhere: sql`${digestPrefs.lastPeriod} is distinct from ${now.day}`,
          })
          .returning({ userId: digestPrefs.userId })
        if (claimed.length === 0 || !view) return false
        await notify(txCtx, { to: { userId: u.id }, view, ref: `digest:${kind}:${u.id}:${now.day}` })
        return true
      })
      if (!view) out.empty++
      else if (sent) out[kind]++
    }
    for (let i = 0; i < due.length; i += DIGEST_CONCURRENCY)
      await Promise.all(due.slice(i, i + DIGEST_CONCURRENCY).map(one))
  }
  return out
}

export interface DigestPref {
  kind: DigestKind
  enabled: boolean
  sendAt: string
  defaultSendAt: string
}

/** The caller's digest settings (defaults where they chose nothing). */
export async function getDigestPrefs({ ctx }: { ctx: ServiceContext }): Promise<DigestPref[]> {
  if (ctx.actor.kind !== 'user') throw new InvalidInputError('actor', 'digest settings belong to a person')
  const rows = await ctx.db
    .select()
    .from(digestPrefs)
    .where(and(eq(digestPrefs.tenantId, ctx.tenantId), eq(digestPrefs.userId, ctx.actor.userId)))
  return (['morning', 'weekly'] as const).map((kind) => {
    const r = rows.find((x) => x.kind === kind)
    return {
      kind,
      enabled: r?.enabled ?? true,
      sendAt: r?.sendAt ?? DIGEST_DEFAULT_TIME[kind],
      defaultSendAt: DIGEST_DEFAULT_TIME[kind],
    }
  })
}

/** Turns one of the caller's digests on or off, or moves its time (`HH:MM`, tenant time zone). */
export async function setDigestPref({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: { kind: DigestKind; enabled?: boolean; sendAt?: string | null }
}): Promise<DigestPref[]> {
  if (ctx.actor.kind !== 'user') throw new InvalidInputError('actor', 'digest settings belong to a person')
  if (input.kind !== 'morning' && input.kind !== 'weekly')
    throw new InvalidInputError('kind', 'kind is morning or weekly')
  const sendAt =
    input.sendAt === undefined || input.sendAt === null ? input.sendAt : normaliseTime(input.sendAt)
  if (sendAt === '') throw new InvalidInputError('sendAt', '时间格式为 HH:MM / the time is HH:MM, e.g. 08:30')
  const set: { enabled?: boolean; sendAt?: string | null; updatedAt: Date } = { updatedAt: ctx.clock.now() }
  if (input.enabled !== undefined) set.enabled = input.enabled
  if (sendAt !== undefined) set.sendAt = sendAt
  await ctx.db
    .insert(digestPrefs)
    .values({
      tenantId: ctx.tenantId,
      userId: ctx.actor.userId,
      kind: input.kind,
      enabled: input.enabled ?? true,
      sendAt: sendAt ?? null,
    })
    .onConflictDoUpdate({ target: [digestPrefs.tenantId, digestPrefs.userId, digestPrefs.kind], set })
  return getDigestPrefs({ ctx })
}

/**
 * Saves the caller's settings of one or both digests (validated: a 400 names the field), all or nothing,
 * and answers them all.
 */
export async function setDigestPrefs({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: DigestPrefsInput
}): Promise<DigestPref[]> {
  const { prefs } = parseInput(digestPrefsInput, input)
  await withTransaction(ctx, async (_tx, txCtx) => {
    for (const p of prefs) await setDigestPref({ ctx: txCtx, input: p })
  })
  return getDigestPrefs({ ctx })
}

/** `8:05`, `08:05`, `8点`, `8点半` → `08:05` / `08:00` / `08:30`; anything else → ''. */
export function normaliseTime(raw: string): string {
  const s = raw.trim()
  const m = /^(\d{1,2})(?::|：|点)(\d{2}|半)?分?$/.exec(s)
  if (!m) return HHMM.test(s) ? s : ''
  const h = Number(m[1])
  const min = m[2] === '半' ? 30 : m[2] ? Number(m[2]) : 0
  if (h > 23 || min > 59) return ''
  return `${String(h).padStart(2, '0')}:${String(min).padStart(2, '0')}`
}
