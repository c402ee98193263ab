import { z } from 'zod'

export const USAGE_PLATFORMS = ['dingtalk'] as const
export type UsagePlatform = (typeof USAGE_PLATFORMS)[number]

/**
 * A standard (free) DingTalk organisation's monthly allowance: 5 000 API calls (card, robot and message
 * APIs; tokens, contacts and login are exempt) and 3 000 Webhook&Stream pushes (robot messages, card
 * callbacks; contact events are exempt). Paid editions get more: set `settings.platformQuota` on the tenant.
 */
export const DEFAULT_QUOTAS: Record<UsagePlatform, { apiCalls: number; pushes: number }> = {
  dingtalk: { apiCalls: 5000, pushes: 3000 },
}

/** Shares of the quota at which admins are warned; 100 means spent. */
export const WARNING_LEVELS = [80, 95] as const

export const recordUsageInput = z.object({
  platform: z.enum(USAGE_PLATFORMS),
  apiCalls: z.number().int().min(0).max(10_000).default(0),
  pushes: z.number().int().min(0).max(10_000).default(0),
})
export type RecordUsageInput = z.input<typeof recordUsageInput>

export const pauseSendsInput = z.object({
  platform: z.enum(USAGE_PLATFORMS),
  until: z.date(),
  reason: z.string().max(500),
})
export type PauseSendsInput = z.input<typeof pauseSendsInput>

export interface PlatformUsageView {
  platform: UsagePlatform
  /** `YYYY-MM` (the platform's billing month). */
  month: string
  apiCalls: number
  apiQuota: number
  pushes: number
  pushQuota: number
  /** The larger of the two shares, in percent (may exceed 100). */
  percent: number
  /** ISO time until which sends wait (the quota is spent), or null. */
  pausedUntil: string | null
  pauseReason: string | null
}

/** What a warning card says: which platform, how much of which allowance, and until when sends wait. */
export interface UsageWarning {
  platform: UsagePlatform
  level: number
  usage: PlatformUsageView
}
