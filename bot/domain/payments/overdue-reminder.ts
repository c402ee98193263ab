import { and, eq } from 'drizzle-orm'
import { contracts, customers, instalments, users } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { chinaDay } from './receivables'

/** What an overdue reminder card shows, and to whom it goes (owner, and the owner's manager). */
export interface OverdueReminder {
  contractId: string
  contractNumber: string
  contractName: string
  customerName: string
  instalmentId: string
  seq: number
  dueDate: string
  outstandingCents: number
  daysOverdue: number
  ownerName: string
  /** The owner's English name from the directory, for English readers (absent in reminders queued before it). */
  ownerEnName?: string | null
  recipients: Array<{ userId: string; locale: 'zh-CN' | 'en'; role: 'owner' | 'manager' }>
}

/** The reminder of one instalment if it is still overdue now (else null: paid in the meantime). */
export async function getOverdueReminder({
  ctx,
  instalmentId,
}: {
  ctx: ServiceContext
  instalmentId: string
}): Promise<OverdueReminder | null> {
  const [row] = await ctx.db
    .select({ ins: instalments, ctr: contracts, customerName: customers.name })
    .from(instalments)
    .innerJoin(contracts, eq(contracts.id, instalments.contractId))
    .innerJoin(customers, eq(customers.id, contracts.customerId))
    .where(and(eq(instalments.tenantId, ctx.tenantId), eq(instalments.id, instalmentId)))
  if (!row) return null
  const today = chinaDay(ctx.clock.now())
  const open = row.ins.amountCents - row.ins.receivedCents
  if (open <= 0 || row.ins.dueDate >= today || row.ctr.status !== 'active') return null
  const [owner] = await ctx.db
    .select({
      id: users.id,
      name: users.name,
      enName: users.enName,
      locale: users.locale,
      managerId: users.managerId,
      status: users.status,
    })
    .from(users)
    .where(and(eq(users.tenantId, ctx.tenantId), eq(users.id, row.ctr.ownerId)))
  const recipients: OverdueReminder['recipients'] = []
  if (owner?.status === 'active')
    recipients.push({ userId: owner.id, locale: owner.locale === 'en' ? 'en' : 'zh-CN', role: 'owner' })
  if (owner?.managerId) {
    const [mgr] = await ctx.db
      .select({ id: users.id, locale: users.locale, status: users.status })
      .from(users)
      .where(and(eq(users.tenantId, ctx.tenantId), eq(users.id, owner.managerId)))
    if (mgr?.status === 'active')
      recipients.push({ userId: mgr.id, locale: mgr.locale === 'en' ? 'en' : 'zh-CN', role: 'manager' })
  }
  return {
    contractId: row.ctr.id,
    contractNumber: row.ctr.number,
    contractName: row.ctr.name,
    customerName: row.customerName,
    instalmentId: row.ins.id,
    seq: row.ins.seq,
    dueDate: row.ins.dueDate,
    outstandingCents: open,
    daysOverdue: Math.round(
      (Date.parse(`${today}T00:00:00Z`) - Date.parse(`${row.ins.dueDate}T00:00:00Z`)) / 86_400_000,
    ),
    ownerName: owner?.name ?? '',
    ownerEnName: owner?.enName ?? null,
    recipients,
  }
}
