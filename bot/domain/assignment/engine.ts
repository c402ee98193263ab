import type { AssignmentMember, WorkingHours } from '../../../db/schema'

/**
 * The assignment engine shared by leads and service tickets: daily quotas, working hours (China time),
 * the choice of a member by round robin, weight or load, and SLA deadlines counted in working time.
 * Pure functions; each area loads its rules and counts and locks its rule row around the choice.
 */

const CHINA_MS = 8 * 3_600_000
const MINUTE = 60_000

/** Daily quota of a member (Odoo's model): a thirtieth of the monthly capacity, at least one. */
export const dailyQuota = (m: AssignmentMember): number => Math.max(1, Math.round(m.capacity / 30))

/** Whether any needle occurs in the haystack (case-insensitive); no haystack = no. */
export const containsAny = (hay: string | null | undefined, needles: string[]): boolean => {
  if (!hay) return false
  const h = hay.toLowerCase()
  return needles.some((n) => h.includes(n.toLowerCase()))
}

const minutesOf = (hm: string): number => {
  const [h, m] = hm.split(':').map(Number)
  return (h ?? 0) * 60 + (m ?? 0)
}

/** Whether `now` is inside the working hours (China time); no hours = always. */
export function inWorkingHours(hours: WorkingHours | null, now: Date): boolean {
  if (!hours) return true
  const local = new Date(now.getTime() + CHINA_MS)
  const weekday = local.getUTCDay() === 0 ? 7 : local.getUTCDay()
  if (!hours.days.includes(weekday)) return false
  const m = local.getUTCHours() * 60 + local.getUTCMinutes()
  return m >= minutesOf(hours.start) && m < minutesOf(hours.end)
}

/**
 * The instant `minutes` of working time after `start` (China time calendar; no hours = plain minutes).
 * A start outside the hours counts from the next opening. Days without hours are skipped.
 */
export function addWorkingMinutes(start: Date, minutes: number, hours: WorkingHours | null): Date {
  if (!hours) return new Date(start.getTime() + minutes * MINUTE)
  const open = minutesOf(hours.start)
  const close = minutesOf(hours.end)
  if (close <= open || hours.days.length === 0) return new Date(start.getTime() + minutes * MINUTE)
  let left = minutes
  // Local midnight (as a UTC-shifted instant) of the start day, and the minute of that day.
  const local = start.getTime() + CHINA_MS
  let dayStart = Math.floor(local / 86_400_000) * 86_400_000
  let minute = (local - dayStart) / MINUTE
  for (let guard = 0; guard < 3660; guard++) {
    const weekday = new Date(dayStart).getUTCDay() || 7
    if (hours.days.includes(weekday)) {
      const from = Math.max(minute, open)
      if (from < close) {
        const room = close - from
        if (left <= room) return new Date(dayStart + (from + left) * MINUTE - CHINA_MS)
        left -= room
      }
    }
    dayStart += 86_400_000
    minute = 0
  }
  return new Date(start.getTime() + minutes * MINUTE)
}

export interface Candidate {
  member: AssignmentMember
  /** Position in the rule's member list (round-robin order). */
  index: number
  /** Items given by this rule today (against the daily quota). */
  usedToday: number
  /** Items the member has open now (for least-open dispatch). */
  open?: number
}

/**
 * Chooses among the eligible members of a rule (active, under their daily quota): round robin takes the
 * next after `cursor`; weighted the lowest share of the quota used today (capacity 60 gets twice the items
 * of capacity 30); least_open the fewest open items, then the weighted order. Null = nobody eligible.
 */
export function chooseMember(
  method: 'round_robin' | 'weighted' | 'least_open',
  memberCount: number,
  cursor: number,
  eligible: Candidate[],
): Candidate | null {
  if (eligible.length === 0) return null
  const share = (x: Candidate) => x.usedToday / dailyQuota(x.member)
  const weighted = (best: Candidate, x: Candidate) => {
    const a = share(x)
    const b = share(best)
    return a < b || (a === b && x.member.capacity > best.member.capacity) ? x : best
  }
  if (method === 'weighted') return eligible.reduce(weighted)
  if (method === 'least_open')
    return eligible.reduce((best, x) => {
      const a = x.open ?? 0
      const b = best.open ?? 0
      return a < b ? x : a > b ? best : weighted(best, x)
    })
  const byIndex = new Map(eligible.map((x) => [x.index, x]))
  for (let step = 1; step <= memberCount; step++) {
    const pick = byIndex.get((cursor + step + memberCount) % memberCount)
    if (pick) return pick
  }
  return eligible[0] ?? null
}

/** A locked assignment rule: its members, how it chooses, and its round-robin cursor. */
export interface PickRule {
  id: string
  members: AssignmentMember[]
  method: 'round_robin' | 'weighted' | 'least_open'
  cursor: number
}

/**
 * The batch picker shared by lead assignment and ticket dispatch, for many items in one transaction. Per
 * item the rules (`candidates`, in order) are tried: the first whose conditions match, that is inside its
 * working hours and has an eligible member (active, under their daily quota) decides. A rule is locked by
 * `lock` the first time an item needs it (which also loads its members' counts for `usage`); every pick
 * after that is made in memory as if the items came one after another (`took` counts the item given);
 * `finish` stores the cursors of the rules that moved. One rule lock per batch, not per item.
 */
export function rulePicker<
  C extends { id: string; workingHours: WorkingHours | null },
  R extends PickRule,
  F,
>(opts: {
  now: Date
  candidates: C[]
  matches: (candidate: C, facts: F) => boolean
  lock: (id: string) => Promise<{ rule: R; activeIds: Set<string> } | null>
  usage: (userId: string) => { usedToday: number; open?: number }
  took: (chosen: Candidate) => void
  saveCursor: (rule: R) => Promise<void>
}): { pick(facts: F): Promise<{ userId: string; ruleId: string } | null>; finish(): Promise<void> } {
  const locked = new Map<string, { rule: R; activeIds: Set<string>; moved: boolean } | null>()
  const lock = async (id: string) => {
    if (locked.has(id)) return locked.get(id) ?? null
    const got = await opts.lock(id)
    const entry = got ? { ...got, moved: false } : null
    locked.set(id, entry)
    return entry
  }
  const pick = async (facts: F) => {
    for (const candidate of opts.candidates) {
      if (!opts.matches(candidate, facts) || !inWorkingHours(candidate.workingHours, opts.now)) continue
      const entry = await lock(candidate.id)
      if (!entry) continue
      const { rule } = entry
      const eligible = rule.members
        .map((member, index) => ({ member, index, ...opts.usage(member.userId) }))
        .filter((x) => entry.activeIds.has(x.member.userId) && x.usedToday < dailyQuota(x.member))
      const chosen = chooseMember(rule.method, rule.members.length, rule.cursor, eligible)
      if (!chosen) continue
      rule.cursor = chosen.index
      entry.moved = true
      opts.took(chosen)
      return { userId: chosen.member.userId, ruleId: rule.id }
    }
    return null
  }
  const finish = async () => {
    for (const entry of locked.values()) {
      if (!entry?.moved) continue
      await opts.saveCursor(entry.rule)
      entry.moved = false
    }
  }
  return { pick, finish }
}
