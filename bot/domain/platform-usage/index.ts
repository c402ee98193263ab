/** Platform usage against monthly quotas: counters per tenant, admin warnings, the quota pause. */
export { listOrgAdmins } from './admins'
export { getPlatformUsage, platformPausedUntil } from './get-platform-usage'
export { quotaMonthOf, quotaResetAt } from './month'
export { pausePlatformSends, recordPlatformUsage, type UsageWarningPresenter } from './record-platform-usage'
export {
  DEFAULT_QUOTAS,
  type PlatformUsageView,
  USAGE_PLATFORMS,
  type UsagePlatform,
  type UsageWarning,
  WARNING_LEVELS,
} from './schemas'
