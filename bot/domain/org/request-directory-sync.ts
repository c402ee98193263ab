import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { InvalidInputError } from '../errors'
import { emit } from '../outbox'
import { getDirectoryStatus } from './get-directory-status'
import { requirePermission } from './permissions'
import { SYNC_DIRECTORY } from './topics'

/**
 * "Sync now" from the admin console: queues a full directory sync (which also re-reads the platform's
 * admins and re-derives leader grants). Needs `org.admin`.
 */
export async function requestDirectorySync({ ctx }: { ctx: ServiceContext }): Promise<{ queued: true }> {
  return withTransaction(ctx, async (_tx, c) => {
    await requirePermission(c, 'org.admin')
    const status = await getDirectoryStatus({ ctx: c })
    if (status.platform === 'devchat')
      throw new InvalidInputError(
        'platform',
        'devchat 模拟的公司没有平台通讯录可同步 / a devchat tenant has no platform directory to sync',
      )
    await emit(c, { topic: SYNC_DIRECTORY, payload: { tenantId: c.tenantId, requestedBy: 'admin' } })
    await recordAudit(c, {
      action: 'org.directory_sync_requested',
      targetType: 'tenant',
      targetId: c.tenantId,
    })
    return { queued: true }
  })
}
