import { eq } from 'drizzle-orm'
import type { DbOrTx } from '../../../db/client'
import {
  type ServiceSlaTarget,
  serviceSettings,
  type TicketPriority,
  type WorkingHours,
} from '../../../db/schema'
import { addWorkingMinutes } from '../assignment/engine'

export interface ServiceSettings {
  types: string[]
  sla: Record<TicketPriority, ServiceSlaTarget>
  workingHours: WorkingHours | null
  lowRating: number
  formRateLimit: number
}

/** Day one: the usual ticket types, an SLA per priority in working minutes, Mon–Sat 09:00–18:00. */
export const DEFAULT_SERVICE_SETTINGS: ServiceSettings = {
  types: ['咨询', '故障', '安装', '维修', '投诉'],
  sla: {
    urgent: { responseMinutes: 30, resolutionMinutes: 240 },
    high: { responseMinutes: 60, resolutionMinutes: 540 },
    normal: { responseMinutes: 240, resolutionMinutes: 1620 },
    low: { responseMinutes: 540, resolutionMinutes: 2700 },
  },
  workingHours: { days: [1, 2, 3, 4, 5, 6], start: '09:00', end: '18:00' },
  lowRating: 2,
  formRateLimit: 5,
}

/** The tenant's service settings, or the defaults when it has not changed them. */
export async function loadServiceSettings(db: DbOrTx, tenantId: string): Promise<ServiceSettings> {
  const [row] = await db.select().from(serviceSettings).where(eq(serviceSettings.tenantId, tenantId))
  return settingsOf(row)
}

/** The settings a stored row (or none: the defaults) stands for; for callers that join the row in. */
export function settingsOf(row: typeof serviceSettings.$inferSelect | null | undefined): ServiceSettings {
  if (!row) return DEFAULT_SERVICE_SETTINGS
  return {
    types: row.types,
    sla: row.sla,
    workingHours: row.workingHours ?? null,
    lowRating: row.lowRating,
    formRateLimit: row.formRateLimit,
  }
}

export interface SlaPlan {
  responseDueAt: Date
  responseHalfAt: Date
  resolutionDueAt: Date
  resolutionHalfAt: Date
}

/**
 * The SLA deadlines of a ticket of `priority` opened at `from`, and their 50 % points, in working time on
 * the service calendar read in the tenant's time zone (`tenantTimeZone`).
 */
export function planSla(
  settings: ServiceSettings,
  priority: TicketPriority,
  from: Date,
  zone: string,
): SlaPlan {
  const t = settings.sla[priority]
  const h = settings.workingHours
  return {
    responseDueAt: addWorkingMinutes(from, t.responseMinutes, h, zone),
    responseHalfAt: addWorkingMinutes(from, t.responseMinutes / 2, h, zone),
    resolutionDueAt: addWorkingMinutes(from, t.resolutionMinutes, h, zone),
    resolutionHalfAt: addWorkingMinutes(from, t.resolutionMinutes / 2, h, zone),
  }
}
