/** The audit area's public surface: what code outside bot/domain/audit/ may import. */
export { exportAuditCsv } from './export-audit-csv'
export { listAudit } from './list-audit'
