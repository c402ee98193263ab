import { and, eq } from 'drizzle-orm'
import { tenants } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { defaultApprovalTemplates, installTemplates } from '../approvals/default-templates'
import { recordAudit } from '../audit/record-audit'
import type { ServiceContext } from '../context'
import { InvalidInputError } from '../errors'
import { emit } from '../outbox'
import { installDefaultRoles } from './default-roles'
import { type EnsureTenantInput, ensureTenantSchema } from './internal/schemas'
import { SYNC_DIRECTORY } from './topics'

/**
 * The tenant of a platform tenant key, created on first contact of any kind (an event, a card tap, a
 * mini-app login) with everything a company needs on day one: the default roles, the default approval
 * templates, and a full directory sync queued. Safe when many instances see the same new tenant at once:
 * the unique (platform, key) index lets one insert win; the others wait for its commit and read its row.
 */
export async function ensureTenant({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, 'db' | 'clock' | 'logger'>
  input: EnsureTenantInput
}): Promise<{ tenantId: string; created: boolean }> {
  const parsed = ensureTenantSchema.safeParse(input)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new InvalidInputError(issue?.path.join('.') || 'tenant', issue?.message ?? 'invalid tenant')
  }
  const { platform, tenantKey, name } = parsed.data
  const find = async () => {
    const [row] = await ctx.db
      .select({ id: tenants.id })
      .from(tenants)
      .where(and(eq(tenants.platform, platform), eq(tenants.platformTenantKey, tenantKey)))
    return row?.id ?? null
  }
  const existing = await find()
  if (existing) return { tenantId: existing, created: false }
  const id = newId('ten')
  const created = await ctx.db.transaction(async (tx) => {
    const inserted = await tx
      .insert(tenants)
      .values({ id, name: name ?? tenantKey, platform, platformTenantKey: tenantKey })
      .onConflictDoNothing()
      .returning({ id: tenants.id })
    if (inserted.length === 0) return false
    const txCtx: ServiceContext = {
      tenantId: id,
      actor: { kind: 'system', reason: 'tenant bootstrap' },
      db: tx,
      clock: ctx.clock,
      logger: ctx.logger,
    }
    await installDefaultRoles(tx, id)
    const templates = await installTemplates(tx, id, defaultApprovalTemplates())
    if (platform !== 'devchat') await emit(txCtx, { topic: SYNC_DIRECTORY, payload: { tenantId: id } })
    await recordAudit(txCtx, {
      action: 'tenant.created',
      targetType: 'tenant',
      targetId: id,
      after: { platform, tenantKey, templates },
    })
    return true
  })
  if (created) {
    ctx.logger.info({ tenantId: id, platform }, 'new tenant')
    return { tenantId: id, created: true }
  }
  const winner = await find()
  if (!winner) throw new Error(`tenant ${platform}/${tenantKey} could not be created`)
  return { tenantId: winner, created: false }
}
