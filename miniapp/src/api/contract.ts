/**
 * Shapes the app keeps itself. The bot's API types are generated (`schema.d.ts`, see scripts/gen-api.ts);
 * what is here is either looser on purpose (a stored session from an older build must still load) or for
 * an endpoint the bot does not publish yet (`GET /api/v1/home`).
 */
import type { LoginPlatform } from '@/platform/types'
import type { Schemas } from './typed'

/** The bot's `User` schema; fields beyond id/name/roles are optional so older or leaner bots still fit. */
export interface SessionUser {
  id: string
  name: string
  roles: string[]
  enName?: string | null
  avatarUrl?: string | null
  jobTitle?: string | null
  locale?: 'zh-CN' | 'en'
  departmentId?: string | null
  departmentName?: string | null
  scope?: 'self' | 'department' | 'department_tree' | 'all'
  /** The zone times are shown in (IANA): one's own, else the tenant's. */
  timeZone?: string
  /** Where `timeZone` comes from: chosen in the app, the platform directory, or the company. */
  timeZoneSource?: 'own' | 'directory' | 'company'
  /** The tenant's zone, what "follow the company" means. */
  companyTimeZone?: string
  /** Named permissions held through roles (`*` = all); opens the admin console. */
  permissions?: string[]
}

/** `POST /api/v1/auth/{platform}` with `{ code }`. */
export type AuthRequest = { code: string }

/** The bot's `Session`, with the looser `SessionUser` (the bot's `User` fits it). */
export type AuthResponse = Omit<Schemas['Session'], 'user'> & { user: SessionUser }

export type AuthPath = `/api/v1/auth/${LoginPlatform}`

export interface PersonRef {
  id: string
  name: string
}

/** A pending approval task of the current user; opens `/approvals/:id`. */
export interface HomeApproval {
  /** Approval instance id (`ins_…`). */
  id: string
  title: string
  initiator?: PersonRef
  submittedAt?: string
}

/** A follow-up due today; opens the customer. */
export interface HomeFollowup {
  id: string
  customer: PersonRef
  dueAt?: string
  summary?: string
}

/** A visit planned for today; opens the customer. */
export interface HomeVisit {
  id: string
  customer: PersonRef
  plannedAt?: string
  address?: string
}

/** A notice the user has not read yet; opens `/notices/:id`. */
export interface HomeNotice {
  id: string
  title: string
  publishedAt?: string
  requiresAck?: boolean
}

/** One of my leads not contacted yet; opens `/leads/:id`. `overdue`: its first-contact deadline passed. */
export interface HomeLead {
  id: string
  name: string
  company: string | null
  channelName: string
  slaDueAt: string | null
  overdue: boolean
}

/** One of my open deals that stalled or passed its expected close date; opens `/deals/:id`. */
export type HomeDeal = Schemas['HomeTodos']['deals'][number]
/** An overdue 回款 instalment of one of my active contracts; opens the contract. */
export type HomePayment = Schemas['HomeTodos']['payments'][number]

/** `GET /api/v1/home`: the user's to-do list for today. */
export interface HomeTodos {
  approvals: HomeApproval[]
  followups: HomeFollowup[]
  visits: HomeVisit[]
  notices: HomeNotice[]
  leads: HomeLead[]
  deals: HomeDeal[]
  payments: HomePayment[]
}
