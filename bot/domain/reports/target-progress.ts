import { actorId, type ServiceContext } from '../context'
import { hasPermission } from '../org/permissions'
import { tenantToday } from './digests'
import { runReport } from './run-report'

/** The measures a target exists for, in the order the home page shows them (money first). */
const KINDS = [
  'contractAmount',
  'paymentAmount',
  'newCustomers',
  'newOpportunities',
  'visits',
  'followUps',
] as const

export interface ProgressItem {
  kind: (typeof KINDS)[number]
  /** Cents for the two amounts, else a count. */
  target: number
  done: number
  /** Percent of the target done, one decimal. */
  rate: number
}

export interface TargetProgress {
  /** `2026-12`: the tenant's current month. */
  month: string
  from: string
  to: string
  /** The caller's own targets this month (only the kinds that have one). */
  me: ProgressItem[]
  /** For holders of team reports: the people in their scope summed (targets and what was done); else null. */
  team: { people: number; items: ProgressItem[] } | null
}

const lastDay = (month: string) => {
  const [y, m] = month.split('-').map(Number)
  const d = new Date(Date.UTC(y ?? 2000, m ?? 1, 0)).getUTCDate()
  return `${month}-${String(d).padStart(2, '0')}`
}

function items(values: Record<string, number | null> | undefined): ProgressItem[] {
  const out: ProgressItem[] = []
  for (const kind of KINDS) {
    const target = values?.[`${kind}Target`] ?? null
    if (!target) continue
    const done = values?.[kind] ?? 0
    out.push({ kind, target, done, rate: Math.round((done * 1000) / target) / 10 })
  }
  return out
}

/**
 * The home page's target progress (我的目标): this month in the tenant's calendar, the caller's targets beside
 * what they did, and for managers (`reports.view.team`) the people of their scope summed. Kinds without a
 * target are left out; no target at all gives empty lists (the page then says so).
 */
export async function targetProgress({ ctx }: { ctx: ServiceContext }): Promise<TargetProgress> {
  const me = actorId(ctx.actor)
  const today = await tenantToday(ctx)
  const month = today.slice(0, 7)
  const from = `${month}-01`
  const to = lastDay(month)
  const [mine, manager] = await Promise.all([
    me ? runReport({ ctx, key: 'achievement', input: { from, to, dimension: 'person', userId: me } }) : null,
    hasPermission(ctx, 'reports.view.team'),
  ])
  const team = manager
    ? await runReport({ ctx, key: 'achievement', input: { from, to, dimension: 'person' } })
    : null
  return {
    month,
    from,
    to,
    me: items(mine?.rows.find((r) => r.key === me)?.values),
    team: team ? { people: team.rows.length, items: items(team.totals) } : null,
  }
}
