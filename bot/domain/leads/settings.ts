import { eq } from 'drizzle-orm'
import type { DbOrTx } from '../../../db/client'
import { type LeadPriority, leadSettings } from '../../../db/schema'

export interface LeadSettings {
  invalidReasons: string[]
  slaMinutes: Record<LeadPriority, number>
  recycleAfterDays: number
  formRateLimit: number
}

export const DEFAULT_LEAD_SETTINGS: LeadSettings = {
  invalidReasons: ['空号/错号', '无需求', '重复线索', '同行/广告', '联系不上', '其他'],
  slaMinutes: { high: 30, normal: 120, low: 480 },
  recycleAfterDays: 7,
  formRateLimit: 5,
}

const invalidReasonsEn = new Map<string, string>([
  ['空号/错号', 'Wrong or dead number'],
  ['无需求', 'No need'],
  ['重复线索', 'Duplicate'],
  ['同行/广告', 'Competitor or spam'],
  ['联系不上', 'Unreachable'],
  ['其他', 'Other'],
])

/**
 * An invalid reason for an English reader: the default reasons have English labels; a reason the tenant
 * wrote keeps its own words. The stored value is always the tenant's.
 */
export const invalidReasonIn = (reason: string, locale: 'zh-CN' | 'en'): string =>
  (locale === 'en' && invalidReasonsEn.get(reason)) || reason

/** The tenant's lead settings, or the defaults when it has not changed them. */
export async function loadLeadSettings(db: DbOrTx, tenantId: string): Promise<LeadSettings> {
  const [row] = await db.select().from(leadSettings).where(eq(leadSettings.tenantId, tenantId))
  if (!row) return DEFAULT_LEAD_SETTINGS
  return {
    invalidReasons: row.invalidReasons,
    slaMinutes: row.slaMinutes,
    recycleAfterDays: row.recycleAfterDays,
    formRateLimit: row.formRateLimit,
  }
}

/**
 * First-contact SLA in minutes: the channel's figure for normal priority when it sets one, the tenant's
 * per-priority figure otherwise; high priority never gets longer than the tenant's high figure.
 */
export function slaMinutesFor(
  settings: LeadSettings,
  channelSla: number | null,
  priority: LeadPriority,
): number {
  const base = priority === 'normal' && channelSla ? channelSla : settings.slaMinutes[priority]
  if (priority === 'high' && channelSla) return Math.min(channelSla, settings.slaMinutes.high)
  return base
}
