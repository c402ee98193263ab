import { and, desc, eq, sql } from 'drizzle-orm'
import {
  approvalExternalRequests,
  approvalInstances,
  approvalTemplates,
  approvalWebhookDeliveries,
  users,
} from '../../../../db/schema'
import { newId } from '../../../lib/ids'
import { sha256Hex } from '../../../lib/signed-call'
import { recordAudit } from '../../audit/record-audit'
import { type ServiceContext, withTransaction } from '../../context'
import { ConflictError, InvalidInputError, NotFoundError } from '../../errors'
import { startInstance } from '../start-instance'
import { type ApprovalView, loadView } from '../view'
import type { ExternalSystemRow } from './manage-systems'
import { type InitiatorRef, StartExternalInput } from './schemas'

export interface ExternalStartResult {
  view: ApprovalView
  /** True when the idempotency key had already started this request (a retry): nothing new was created. */
  replayed: boolean
}

/**
 * Starts an approval for an external system (ERP, HR, finance). The request runs like any other: its
 * approvers get cards in chat, it shows in their to-do lists, and its end triggers a signed webhook to the
 * system. Idempotent by key (default: the external id): a retried call returns the request it started; the
 * same key with a different body is a 409. While a request for the external id is open, another is 409.
 */
export async function startExternalApproval({
  ctx,
  system,
  input,
  idempotencyKey,
}: {
  ctx: ServiceContext
  system: ExternalSystemRow
  input: StartExternalInput
  idempotencyKey?: string | undefined
}): Promise<ExternalStartResult> {
  const parsed = StartExternalInput.parse(input)
  const key = idempotencyKey ?? parsed.externalId
  if (key.length > 200) throw new InvalidInputError('Idempotency-Key', 'at most 200 characters')
  const requestHash = await sha256Hex(JSON.stringify(parsed))
  return withTransaction(ctx, async (_tx, c) => {
    // Concurrent retries of one key queue here; the first creates, the others find its row.
    await c.db.execute(sql`select pg_advisory_xact_lock(hashtext(${`${system.id}:${key}`}))`)
    const [previous] = await c.db
      .select()
      .from(approvalExternalRequests)
      .where(
        and(
          eq(approvalExternalRequests.systemId, system.id),
          eq(approvalExternalRequests.idempotencyKey, key),
        ),
      )
    if (previous) {
      if (previous.requestHash !== requestHash)
        throw new ConflictError('Idempotency-Key was used with a different body', {
          field: 'Idempotency-Key',
          instanceId: previous.instanceId,
        })
      return { view: await loadView(c, previous.instanceId), replayed: true }
    }
    const open = await c.db
      .select({ id: approvalInstances.id })
      .from(approvalExternalRequests)
      .innerJoin(
        approvalInstances,
        and(
          eq(approvalInstances.tenantId, approvalExternalRequests.tenantId),
          eq(approvalInstances.id, approvalExternalRequests.instanceId),
        ),
      )
      .where(
        and(
          eq(approvalExternalRequests.tenantId, c.tenantId),
          eq(approvalExternalRequests.systemId, system.id),
          eq(approvalExternalRequests.externalId, parsed.externalId),
          sql`${approvalInstances.status} in ('pending', 'returned')`,
        ),
      )
      .limit(1)
    if (open[0])
      throw new ConflictError(`${parsed.externalId} already has an open approval`, {
        field: 'externalId',
        instanceId: open[0].id,
      })
    const [template] = await c.db
      .select({ externalSystemId: approvalTemplates.externalSystemId })
      .from(approvalTemplates)
      .where(and(eq(approvalTemplates.tenantId, c.tenantId), eq(approvalTemplates.key, parsed.templateKey)))
    // Another system's template does not exist for this one.
    if (!template || (template.externalSystemId && template.externalSystemId !== system.id))
      throw new NotFoundError('approval template', parsed.templateKey)
    const initiatorId = await resolveInitiator(c, parsed.initiator)
    const asInitiator: ServiceContext = { ...c, actor: { kind: 'user', userId: initiatorId, via: 'api' } }
    const view = await startInstance({
      ctx: asInitiator,
      input: {
        templateKey: parsed.templateKey,
        form: parsed.form,
        ...(parsed.approvers ? { approvers: parsed.approvers } : {}),
      },
      external: {
        systemId: system.id,
        systemName: system.name,
        externalId: parsed.externalId,
        link: parsed.link ?? null,
      },
    })
    await c.db.insert(approvalExternalRequests).values({
      id: newId('exr'),
      tenantId: c.tenantId,
      systemId: system.id,
      externalId: parsed.externalId,
      idempotencyKey: key,
      requestHash,
      instanceId: view.instance.id,
    })
    await recordAudit(c, {
      action: 'approval.external.start',
      targetType: 'approval',
      targetId: view.instance.id,
      meta: { systemId: system.id, externalId: parsed.externalId },
    })
    return { view, replayed: false }
  })
}

/** The tenant's active user the system named (by id, email or mobile), or 400 naming the field. */
async function resolveInitiator(ctx: ServiceContext, ref: InitiatorRef): Promise<string> {
  const [field, cond] = ref.userId
    ? (['initiator.userId', eq(users.id, ref.userId)] as const)
    : ref.email
      ? (['initiator.email', sql`lower(${users.email}) = ${ref.email}`] as const)
      : (['initiator.mobile', eq(users.mobile, ref.mobile ?? '')] as const)
  const rows = await ctx.db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.tenantId, ctx.tenantId), eq(users.status, 'active'), cond))
    .limit(2)
  if (rows.length !== 1 || !rows[0])
    throw new InvalidInputError(
      field,
      rows.length > 1
        ? `${field}: 匹配到多个用户 / matches several people`
        : `${field}: 没有这个在职用户 / no active user`,
    )
  return rows[0].id
}

export interface ExternalStatus {
  view: ApprovalView
  webhook: { id: string; status: string; attempts: number; lastError: string | null } | null
}

/** The newest request the system started for `externalId`, with its webhook state; 404 otherwise. */
/** The instance of the system's latest request with this external id (404 when there is none). */
export async function latestExternalInstance(
  ctx: ServiceContext,
  system: ExternalSystemRow,
  externalId: string,
): Promise<string> {
  const [req] = await ctx.db
    .select({ instanceId: approvalExternalRequests.instanceId })
    .from(approvalExternalRequests)
    .where(
      and(
        eq(approvalExternalRequests.tenantId, ctx.tenantId),
        eq(approvalExternalRequests.systemId, system.id),
        eq(approvalExternalRequests.externalId, externalId),
      ),
    )
    .orderBy(desc(approvalExternalRequests.createdAt))
    .limit(1)
  if (!req) throw new NotFoundError('external approval', externalId)
  return req.instanceId
}

export async function getExternalApproval({
  ctx,
  system,
  externalId,
}: {
  ctx: ServiceContext
  system: ExternalSystemRow
  externalId: string
}): Promise<ExternalStatus> {
  const instanceId = await latestExternalInstance(ctx, system, externalId)
  const [view, [hook]] = await Promise.all([
    loadView(ctx, instanceId),
    ctx.db
      .select({
        id: approvalWebhookDeliveries.id,
        status: approvalWebhookDeliveries.status,
        attempts: approvalWebhookDeliveries.attempts,
        lastError: approvalWebhookDeliveries.lastError,
      })
      .from(approvalWebhookDeliveries)
      .where(
        and(
          eq(approvalWebhookDeliveries.tenantId, ctx.tenantId),
          eq(approvalWebhookDeliveries.instanceId, instanceId),
        ),
      )
      .orderBy(desc(approvalWebhookDeliveries.createdAt))
      .limit(1),
  ])
  return { view, webhook: hook ?? null }
}
