/** Reports (报表) and sales targets (业绩目标): what callers outside this area may use. */

export {
  type DigestPref,
  getDigestPrefs,
  morningBrief,
  normaliseTime,
  runDigests,
  setDigestPref,
  setDigestPrefs,
  teamDigest,
  tenantToday,
} from './digests'
export { drillReport } from './drill-report'
export { exportReport } from './export-report'
export {
  type ImportTargetsResult,
  importTargets,
  MAX_TARGET_IMPORT_BYTES,
  parsePeriod,
  parseTargetValue,
  TARGET_COLUMNS,
} from './import-targets'
export { RECORD_KINDS, type RecordRef, type ReportRow } from './internal/define'
export { listReports, type ReportSummary } from './list-reports'
export { listTargets, type TargetRow } from './list-targets'
export { type ReportColumn, type ReportResult, runReport } from './run-report'
export * from './schemas'
export { setTargets } from './set-targets'
export { type ProgressItem, type TargetProgress, targetProgress } from './target-progress'
export * from './views'
