import type { JobQueue } from './queue'

/** Repeatable jobs, declared at every start (declaring again replaces, never duplicates). */
export async function declareSchedules(queue: JobQueue): Promise<void> {
  await queue.schedule('housekeeping', 'system.housekeeping', 6 * 3600 * 1000)
  await queue.schedule('directory-sync', 'org.sync_all_directories', 24 * 3600 * 1000)
  await queue.schedule('crm-pool-scan', 'crm.pool.scan', 3600 * 1000)
  await queue.schedule('sales-overdue-scan', 'sales.payments.overdue_scan', 3600 * 1000)
  await queue.schedule('sales-value-assess', 'sales.customer_value.assess', 24 * 3600 * 1000)
  await queue.schedule('service-sla-scan', 'service.sla.scan', 3600 * 1000)
  await queue.schedule('sales-stall-scan', 'sales.opportunities.stall_scan', 24 * 3600 * 1000)
  await queue.schedule('report-digests', 'reports.digests.scan', 5 * 60 * 1000)
  await queue.schedule('sales-win-refresh', 'sales.opportunities.win_refresh', 24 * 3600 * 1000)
}
