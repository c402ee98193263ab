import { and, asc, desc, eq, inArray } from 'drizzle-orm'
import {
  approvalExternalSystems,
  approvalWebhookAttempts,
  approvalWebhookDeliveries,
} from '../../../../db/schema'
import { newId } from '../../../lib/ids'
import { openSecret, SecretUnavailableError } from '../../../lib/secret-box'
import { newNonce, SIGNATURE_HEADERS, signPayload } from '../../../lib/signed-call'
import { recordAudit } from '../../audit/record-audit'
import { notifyMessage } from '../../chat/send'
import { type ServiceContext, withTransaction } from '../../context'
import { InvalidTransitionError, NotFoundError } from '../../errors'
import { emit, type OutboxMessage } from '../../outbox'
import { type InstanceRow, loadAdminIds, requireApprovalAdmin } from '../store'
import type { ApprovalView } from '../view'
import { approvalWebhookFailedView } from '../views'
import { requireSystem } from './manage-systems'

/** Job (outbox topic) that makes one delivery attempt. */
export const APPROVAL_WEBHOOK = 'approval.webhook'

/** Tries per event before it is marked failed (an admin can redeliver). */
export const WEBHOOK_MAX_ATTEMPTS = 10
/** First retry after this; each further one waits twice as long, capped at `WEBHOOK_MAX_DELAY_MS`. */
export const WEBHOOK_BASE_DELAY_MS = 30_000
export const WEBHOOK_MAX_DELAY_MS = 6 * 3600_000

/** Delay before attempt `attempt + 1` after attempt `attempt` failed: 30 s, 1 min, 2 min, … ≤ 6 h. */
export const webhookDelay = (attempt: number): number =>
  Math.min(WEBHOOK_BASE_DELAY_MS * 2 ** (attempt - 1), WEBHOOK_MAX_DELAY_MS)

export type WebhookDeliveryRow = typeof approvalWebhookDeliveries.$inferSelect

/** The body of `approval.finished`: what the external system needs to close its record. */
export interface FinishedEventBody {
  id: string
  type: 'approval.finished'
  createdAt: string
  data: {
    externalId: string
    instanceId: string
    serialNo: string
    templateKey: string
    status: 'approved' | 'rejected' | 'withdrawn' | 'cancelled'
    finishedAt: string | null
    decisions: Array<{
      step: string
      approver: { id: string; name: string }
      result: string
      comment: string | null
      at: string | null
    }>
  }
}

/**
 * Writes the `approval.finished` event of an externally started request and returns the outbox row of its
 * first delivery attempt; called inside the transaction that ends the request, so the event exists
 * exactly when the end does.
 */
export async function queueFinishedWebhook(
  ctx: ServiceContext,
  ins: InstanceRow,
  view: ApprovalView,
): Promise<OutboxMessage[]> {
  const ext = ins.external
  if (!ext) return []
  const status = ins.status
  if (status !== 'approved' && status !== 'rejected' && status !== 'withdrawn' && status !== 'cancelled')
    return []
  const id = newId('evt')
  const decided = view.tasks.filter(
    (t) =>
      t.kind === 'approve' &&
      t.round === ins.round &&
      (t.status === 'approved' || t.status === 'rejected' || t.status === 'returned'),
  )
  const body: FinishedEventBody = {
    id,
    type: 'approval.finished',
    createdAt: ctx.clock.now().toISOString(),
    data: {
      externalId: ext.externalId,
      instanceId: ins.id,
      serialNo: ins.serialNo,
      templateKey: view.template.key,
      status,
      finishedAt: ins.finishedAt?.toISOString() ?? null,
      decisions: decided.map((t) => ({
        step: view.plan[t.stepIndex]?.name ?? t.nodeId,
        approver: { id: t.assigneeId, name: view.users.get(t.assigneeId)?.name ?? '' },
        result: t.auto ? `${t.status}:${t.auto}` : t.status,
        comment: t.comment,
        at: t.decidedAt?.toISOString() ?? null,
      })),
    },
  }
  await ctx.db.insert(approvalWebhookDeliveries).values({
    id,
    tenantId: ctx.tenantId,
    systemId: ext.systemId,
    instanceId: ins.id,
    event: body.type,
    body: JSON.stringify(body),
    nextAttemptAt: ctx.clock.now(),
  })
  return [{ topic: APPROVAL_WEBHOOK, payload: { tenantId: ctx.tenantId, deliveryId: id, attempt: 1 } }]
}

/**
 * Writes a business event (e.g. `contract.activated`) for every active external system of the tenant and
 * returns the outbox rows of their first delivery attempts: the same signed, retried delivery as
 * `approval.finished`. `instanceId` is the approval that led to the event; `data` should carry
 * `externalId` and `serialNo` (shown to admins if delivery finally fails).
 */
export async function queueSystemEvent(
  ctx: ServiceContext,
  input: {
    event: string
    instanceId: string
    data: { externalId: string; serialNo: string } & Record<string, unknown>
  },
): Promise<OutboxMessage[]> {
  const systems = await ctx.db
    .select({ id: approvalExternalSystems.id })
    .from(approvalExternalSystems)
    .where(and(eq(approvalExternalSystems.tenantId, ctx.tenantId), eq(approvalExternalSystems.active, true)))
  if (systems.length === 0) return []
  const now = ctx.clock.now()
  const rows = systems.map((s) => {
    const id = newId('evt')
    return {
      id,
      tenantId: ctx.tenantId,
      systemId: s.id,
      instanceId: input.instanceId,
      event: input.event,
      body: JSON.stringify({ id, type: input.event, createdAt: now.toISOString(), data: input.data }),
      nextAttemptAt: now,
    }
  })
  await ctx.db.insert(approvalWebhookDeliveries).values(rows)
  return rows.map((r) => ({
    topic: APPROVAL_WEBHOOK,
    payload: { tenantId: ctx.tenantId, deliveryId: r.id, attempt: 1 },
  }))
}

/** Sends one HTTP POST; the job wires it to `fetch` with a timeout. Throws on network errors and timeouts. */
export type WebhookPost = (request: {
  url: string
  headers: Record<string, string>
  body: string
}) => Promise<{ status: number; text: string }>

export type DeliveryOutcome = 'delivered' | 'retry' | 'failed' | 'skipped'

/**
 * One delivery attempt of an event: signs the stored body (timestamp, fresh nonce, secret of now), posts
 * it, and records the attempt. A 2xx ends the delivery; otherwise the next attempt is an outbox row due
 * after the backoff, until `WEBHOOK_MAX_ATTEMPTS`, then the delivery is `failed` (visible to admins). A
 * repeated job for an attempt already recorded does nothing; the receiver dedupes on the event id.
 */
export async function deliverWebhook({
  ctx,
  input,
  post,
}: {
  ctx: ServiceContext
  input: { deliveryId: string; attempt: number }
  post: WebhookPost
}): Promise<DeliveryOutcome> {
  const [row] = await ctx.db
    .select({ delivery: approvalWebhookDeliveries, system: approvalExternalSystems })
    .from(approvalWebhookDeliveries)
    .innerJoin(
      approvalExternalSystems,
      and(
        eq(approvalExternalSystems.tenantId, approvalWebhookDeliveries.tenantId),
        eq(approvalExternalSystems.id, approvalWebhookDeliveries.systemId),
      ),
    )
    .where(
      and(
        eq(approvalWebhookDeliveries.tenantId, ctx.tenantId),
        eq(approvalWebhookDeliveries.id, input.deliveryId),
      ),
    )
  if (!row) return 'skipped'
  const { delivery, system } = row
  if (delivery.status !== 'pending' || delivery.attempts >= input.attempt) return 'skipped'
  const started = Date.now()
  let statusCode: number | null = null
  let error: string | null = null
  // A secret this server cannot open (its key dropped from ENCRYPTION_KEYS) is a failed attempt the admin
  // sees in the delivery log, retried like any other; nothing is sent unsigned.
  const secret = system.active
    ? await openSecret(system.secret, 'external-system').catch((err: unknown) => {
        if (err instanceof SecretUnavailableError) return err
        throw err
      })
    : null
  if (!system.active) {
    error = 'system is inactive'
  } else if (secret instanceof SecretUnavailableError) {
    error = `not sent: ${secret.message}`
  } else if (secret !== null) {
    const timestamp = String(Math.floor(ctx.clock.now().getTime() / 1000))
    const nonce = newNonce()
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'flowcard-webhooks/1',
      [SIGNATURE_HEADERS.system]: system.id,
      [SIGNATURE_HEADERS.eventId]: delivery.id,
      [SIGNATURE_HEADERS.event]: delivery.event,
      [SIGNATURE_HEADERS.attempt]: String(input.attempt),
      [SIGNATURE_HEADERS.timestamp]: timestamp,
      [SIGNATURE_HEADERS.nonce]: nonce,
      [SIGNATURE_HEADERS.signature]: await signPayload(secret, timestamp, nonce, delivery.body),
    }
    try {
      const res = await post({ url: system.webhookUrl, headers, body: delivery.body })
      statusCode = res.status
      if (res.status < 200 || res.status > 299)
        error = `HTTP ${res.status}${res.text ? `: ${res.text.slice(0, 300)}` : ''}`
    } catch (err) {
      error = (err as Error).message.slice(0, 500) || 'request failed'
    }
  }
  const durationMs = Date.now() - started
  const ok = error === null
  const last = !ok && (input.attempt >= WEBHOOK_MAX_ATTEMPTS || !system.active)
  return withTransaction(ctx, async (_tx, c) => {
    const recorded = await c.db
      .insert(approvalWebhookAttempts)
      .values({
        tenantId: c.tenantId,
        deliveryId: delivery.id,
        attempt: input.attempt,
        statusCode,
        error,
        durationMs,
      })
      .onConflictDoNothing()
      .returning({ id: approvalWebhookAttempts.id })
    if (recorded.length === 0) return 'skipped'
    const now = c.clock.now()
    const nextAt = ok || last ? null : new Date(now.getTime() + webhookDelay(input.attempt))
    await c.db
      .update(approvalWebhookDeliveries)
      .set({
        attempts: input.attempt,
        lastStatusCode: statusCode,
        lastError: error,
        status: ok ? 'delivered' : last ? 'failed' : 'pending',
        nextAttemptAt: nextAt,
        ...(ok ? { deliveredAt: now } : {}),
        updatedAt: now,
      })
      .where(
        and(
          eq(approvalWebhookDeliveries.tenantId, c.tenantId),
          eq(approvalWebhookDeliveries.id, delivery.id),
        ),
      )
    if (nextAt) {
      await emit(c, {
        topic: APPROVAL_WEBHOOK,
        payload: { tenantId: c.tenantId, deliveryId: delivery.id, attempt: input.attempt + 1 },
        availableAt: nextAt,
      })
    }
    if (last) await alertAdmins(c, system.name, delivery, input.attempt, error ?? '')
    if (!ok) {
      c.logger.warn(
        { deliveryId: delivery.id, systemId: system.id, attempt: input.attempt, statusCode, last },
        'approval webhook attempt failed',
      )
    }
    return ok ? 'delivered' : last ? 'failed' : 'retry'
  })
}

/** A DM card to every approval admin: this event will not be retried any more. */
async function alertAdmins(
  ctx: ServiceContext,
  systemName: string,
  delivery: WebhookDeliveryRow,
  attempts: number,
  lastError: string,
): Promise<void> {
  const body = JSON.parse(delivery.body) as FinishedEventBody
  const admins = await loadAdminIds(ctx)
  const info = {
    systemName,
    externalId: body.data.externalId,
    serialNo: body.data.serialNo,
    attempts,
    lastError,
  }
  await emit(
    ctx,
    admins.map((userId) => notifyMessage(ctx, { to: { userId }, view: approvalWebhookFailedView(info) })),
  )
}

export interface DeliveryDto {
  id: string
  event: string
  instanceId: string
  status: string
  attempts: number
  lastStatusCode: number | null
  lastError: string | null
  nextAttemptAt: string | null
  deliveredAt: string | null
  createdAt: string
  history: Array<{
    attempt: number
    at: string
    statusCode: number | null
    error: string | null
    durationMs: number
  }>
}

/** A system's deliveries, newest first, with every attempt (approval admins). */
export async function listWebhookDeliveries({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: { systemId: string; status?: 'pending' | 'delivered' | 'failed'; limit?: number }
}): Promise<DeliveryDto[]> {
  await requireApprovalAdmin(ctx)
  await requireSystem(ctx, input.systemId)
  const rows = await ctx.db
    .select()
    .from(approvalWebhookDeliveries)
    .where(
      and(
        eq(approvalWebhookDeliveries.tenantId, ctx.tenantId),
        eq(approvalWebhookDeliveries.systemId, input.systemId),
        ...(input.status ? [eq(approvalWebhookDeliveries.status, input.status)] : []),
      ),
    )
    .orderBy(desc(approvalWebhookDeliveries.createdAt), desc(approvalWebhookDeliveries.id))
    .limit(Math.min(input.limit ?? 50, 200))
  if (rows.length === 0) return []
  const attempts = await ctx.db
    .select()
    .from(approvalWebhookAttempts)
    .where(
      and(
        eq(approvalWebhookAttempts.tenantId, ctx.tenantId),
        inArray(
          approvalWebhookAttempts.deliveryId,
          rows.map((r) => r.id),
        ),
      ),
    )
    .orderBy(asc(approvalWebhookAttempts.attempt))
  return rows.map((r) => ({
    id: r.id,
    event: r.event,
    instanceId: r.instanceId,
    status: r.status,
    attempts: r.attempts,
    lastStatusCode: r.lastStatusCode,
    lastError: r.lastError,
    nextAttemptAt: r.nextAttemptAt?.toISOString() ?? null,
    deliveredAt: r.deliveredAt?.toISOString() ?? null,
    createdAt: r.createdAt.toISOString(),
    history: attempts
      .filter((a) => a.deliveryId === r.id)
      .map((a) => ({
        attempt: a.attempt,
        at: a.at.toISOString(),
        statusCode: a.statusCode,
        error: a.error,
        durationMs: a.durationMs,
      })),
  }))
}

/** Sends a failed event once more, now (approval admins; after fixing the receiver). */
export async function redeliverWebhook({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: { systemId: string; deliveryId: string }
}): Promise<void> {
  await withTransaction(ctx, async (_tx, c) => {
    await requireApprovalAdmin(c)
    const [row] = await c.db
      .update(approvalWebhookDeliveries)
      .set({ status: 'pending', nextAttemptAt: c.clock.now(), updatedAt: c.clock.now() })
      .where(
        and(
          eq(approvalWebhookDeliveries.tenantId, c.tenantId),
          eq(approvalWebhookDeliveries.systemId, input.systemId),
          eq(approvalWebhookDeliveries.id, input.deliveryId),
          eq(approvalWebhookDeliveries.status, 'failed'),
        ),
      )
      .returning()
    if (!row) {
      const [exists] = await c.db
        .select({ status: approvalWebhookDeliveries.status })
        .from(approvalWebhookDeliveries)
        .where(
          and(
            eq(approvalWebhookDeliveries.tenantId, c.tenantId),
            eq(approvalWebhookDeliveries.systemId, input.systemId),
            eq(approvalWebhookDeliveries.id, input.deliveryId),
          ),
        )
      if (!exists) throw new NotFoundError('webhook delivery', input.deliveryId)
      throw new InvalidTransitionError(`delivery is ${exists.status}, only failed ones are redelivered`)
    }
    await emit(c, {
      topic: APPROVAL_WEBHOOK,
      payload: { tenantId: c.tenantId, deliveryId: row.id, attempt: row.attempts + 1 },
    })
    await recordAudit(c, {
      action: 'approval.external.redeliver',
      targetType: 'approval_webhook_delivery',
      targetId: row.id,
    })
  })
}
