import { integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core'
import { tenantId, updatedAt } from './_columns'

/**
 * Calls and pushes a tenant's platform counts against its monthly quota (DingTalk: API calls and
 * Webhook&Stream pushes per org per calendar month), one row per tenant, platform and month. `pausedUntil`
 * is set when the platform answered "quota spent": sends wait until then instead of failing. `warnedLevel`
 * is the highest warning (80, 95, 100 %) already sent to the tenant's admins this month.
 */
export const platformUsage = pgTable(
  'platform_usage',
  {
    tenantId: tenantId(),
    platform: text().notNull(),
    /** `YYYY-MM` in the platform's billing time zone. */
    month: text().notNull(),
    apiCalls: integer().notNull().default(0),
    pushes: integer().notNull().default(0),
    warnedLevel: integer().notNull().default(0),
    pausedUntil: timestamp({ withTimezone: true, mode: 'date' }),
    pauseReason: text(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.platform, t.month] })],
)
