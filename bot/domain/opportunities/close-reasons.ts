import { and, asc, eq } from 'drizzle-orm'
import { closeReasons } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { ConflictError } from '../errors'
import { requirePermission } from '../org/permissions'
import { type CloseReasonInput, closeReasonInput, parseInput } from './schemas'
import { ensureSalesDefaults } from './stage-sets'

export interface CloseReason {
  id: string
  kind: 'won' | 'lost'
  name: string
}

/** The tenant's won/lost reason list (defaults on first use). */
export async function listCloseReasons({ ctx }: { ctx: ServiceContext }): Promise<CloseReason[]> {
  await ensureSalesDefaults(ctx)
  return ctx.db
    .select({ id: closeReasons.id, kind: closeReasons.kind, name: closeReasons.name })
    .from(closeReasons)
    .where(and(eq(closeReasons.tenantId, ctx.tenantId), eq(closeReasons.active, true)))
    .orderBy(asc(closeReasons.kind), asc(closeReasons.sortOrder), asc(closeReasons.name))
}

/** Adds a reason to the tenant's list (sales admins). */
export async function defineCloseReason({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: CloseReasonInput
}): Promise<CloseReason> {
  const data = parseInput(closeReasonInput, input)
  return withTransaction(ctx, async (_tx, c) => {
    await requirePermission(c, 'crm.sales.manage')
    await ensureSalesDefaults(c)
    const [row] = await c.db
      .insert(closeReasons)
      .values({ id: newId('rsn'), tenantId: c.tenantId, kind: data.kind, name: data.name, sortOrder: 100 })
      .onConflictDoNothing()
      .returning({ id: closeReasons.id, kind: closeReasons.kind, name: closeReasons.name })
    if (!row) throw new ConflictError(`reason ${data.name} exists`, { field: 'name' })
    await recordAudit(c, {
      action: 'sales.close_reason.create',
      targetType: 'close_reason',
      targetId: row.id,
    })
    return row
  })
}
