import { eq } from 'drizzle-orm'
import type { DbOrTx } from '../../../db/client'
import { crmRules } from '../../../db/schema'

export type CrmRules = Omit<typeof crmRules.$inferSelect, 'updatedAt'>

export const defaultRules = (tenantId: string): CrmRules => ({
  tenantId,
  reclaimAfterDays: 30,
  warnDaysBefore: 3,
  extendDays: 7,
  reclaimCooldownDays: 7,
  claimLimit: 50,
  checkInFlagMeters: 1000,
  paymentApproval: false,
})

/** The tenant's pool rules and check-in threshold (defaults until an admin saves some). */
export async function loadRules(db: DbOrTx, tenantId: string): Promise<CrmRules> {
  const [row] = await db.select().from(crmRules).where(eq(crmRules.tenantId, tenantId))
  if (!row) return defaultRules(tenantId)
  const { updatedAt: _u, ...rules } = row
  return rules
}

const DAY_MS = 86_400_000

/** When an owned customer goes back to the pool: last activity + N days (+ the one extension). */
export function reclaimDue(rules: CrmRules, lastActivity: Date, extended: boolean): Date | null {
  if (rules.reclaimAfterDays <= 0) return null
  const days = rules.reclaimAfterDays + (extended ? rules.extendDays : 0)
  return new Date(lastActivity.getTime() + days * DAY_MS)
}

export const daysMs = (days: number): number => days * DAY_MS
