import { csvCell } from '../../lib/csv'
import { zonedDateTime } from '../../lib/time-zone'
import { type ServiceContext, withTransaction } from '../context'
import { tenantTimeZone } from '../org/time-zone'
import { loadNotice, requireManage } from './access'
import { recipientRows } from './get-notice-dashboard'
import { NoticeIdSchema } from './schemas'

const STATUS: Record<string, string> = {
  pending: '待发送 pending',
  queued: '发送中 sending',
  sent: '已送达 delivered',
  failed: '发送失败 failed',
  cancelled: '已取消 cancelled',
}

/** Every recipient's delivery and receipt as CSV (UTF-8 with BOM so Excel opens Chinese correctly). */
export async function exportNoticeCsv({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: { id: string }
}): Promise<{ filename: string; csv: string }> {
  const { id } = NoticeIdSchema.parse(input)
  return withTransaction(ctx, async (_tx, txCtx) => {
    const n = await loadNotice(txCtx, id)
    await requireManage(txCtx, n)
    const [rows, zone] = await Promise.all([recipientRows(txCtx, id), tenantTimeZone(txCtx)])
    // Wall time in the tenant's zone, named in the headers.
    const at = (d: Date | null): string => (d ? zonedDateTime(d, zone) : '')
    const header = [
      '部门 Department',
      '姓名 Name',
      '投递 Delivery',
      '失败原因 Error',
      `送达时间 Delivered at (${zone})`,
      `已读时间 Read at (${zone})`,
      '已读方式 Read via',
      `确认时间 Acknowledged at (${zone})`,
      '提醒 Reminders',
    ]
    const lines = [header.map(csvCell).join(',')]
    for (const r of rows) {
      lines.push(
        [
          r.chatId ? '群聊 Group chat' : (r.departmentName ?? ''),
          r.name ?? r.chatId ?? r.target,
          STATUS[r.status] ?? r.status,
          r.error ?? '',
          at(r.sentAt),
          at(r.readAt),
          r.readVia ?? '',
          at(r.ackAt),
          String(r.reminderStep),
        ]
          .map(csvCell)
          .join(','),
      )
    }
    return { filename: `notice-${id}.csv`, csv: `\uFEFF${lines.join('\r\n')}\r\n` }
  })
}
