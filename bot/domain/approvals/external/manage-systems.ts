import { and, asc, eq } from 'drizzle-orm'
import { approvalExternalSystems } from '../../../../db/schema'
import { newId } from '../../../lib/ids'
import { newSecret, secretHint } from '../../../lib/signed-call'
import { recordAudit } from '../../audit/record-audit'
import { actorId, type ServiceContext, withTransaction } from '../../context'
import { ConflictError, NotFoundError } from '../../errors'
import { requireApprovalAdmin } from '../store'
import { RegisterSystemInput, UpdateSystemInput } from './schemas'

export type ExternalSystemRow = typeof approvalExternalSystems.$inferSelect

/** What admins see of a system: never the secret, only a hint of it. */
export interface ExternalSystemDto {
  id: string
  name: string
  webhookUrl: string
  active: boolean
  secretHint: string
  /** Until when the secret before the last rotation still verifies calls. */
  previousSecretUntil: string | null
  createdAt: string
  rotatedAt: string | null
}

/** After a rotation the old secret keeps verifying inbound calls this long, so the system can switch over. */
export const ROTATION_GRACE_MS = 24 * 3600_000

export const toSystemDto = (r: ExternalSystemRow): ExternalSystemDto => ({
  id: r.id,
  name: r.name,
  webhookUrl: r.webhookUrl,
  active: r.active,
  secretHint: secretHint(r.secret),
  previousSecretUntil: r.previousSecretUntil?.toISOString() ?? null,
  createdAt: r.createdAt.toISOString(),
  rotatedAt: r.rotatedAt?.toISOString() ?? null,
})

/**
 * Registers an external system (ERP, HR, finance) for the tenant (approval admins). The generated secret is
 * returned this once; afterwards only its hint is shown, and a lost secret is replaced by rotation.
 */
export async function registerExternalSystem({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: RegisterSystemInput
}): Promise<{ system: ExternalSystemDto; secret: string }> {
  const parsed = RegisterSystemInput.parse(input)
  return withTransaction(ctx, async (_tx, c) => {
    await requireApprovalAdmin(c)
    const secret = newSecret()
    const [row] = await c.db
      .insert(approvalExternalSystems)
      .values({
        id: newId('exs'),
        tenantId: c.tenantId,
        name: parsed.name,
        webhookUrl: parsed.webhookUrl,
        secret,
        createdBy: actorId(c.actor),
      })
      .onConflictDoNothing()
      .returning()
    if (!row) throw new ConflictError(`a system named ${parsed.name} already exists`, { field: 'name' })
    await recordAudit(c, {
      action: 'approval.external.register',
      targetType: 'approval_external_system',
      targetId: row.id,
      after: { name: row.name, webhookUrl: row.webhookUrl },
    })
    return { system: toSystemDto(row), secret }
  })
}

/** Renames, moves the webhook, or switches a system off (an inactive system's calls are refused). */
export async function updateExternalSystem({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: UpdateSystemInput
}): Promise<ExternalSystemDto> {
  const parsed = UpdateSystemInput.parse(input)
  return withTransaction(ctx, async (_tx, c) => {
    await requireApprovalAdmin(c)
    const before = await requireSystem(c, parsed.systemId, true)
    if (parsed.name !== undefined && parsed.name !== before.name) {
      const [taken] = await c.db
        .select({ id: approvalExternalSystems.id })
        .from(approvalExternalSystems)
        .where(
          and(
            eq(approvalExternalSystems.tenantId, c.tenantId),
            eq(approvalExternalSystems.name, parsed.name),
          ),
        )
      if (taken) throw new ConflictError(`a system named ${parsed.name} already exists`, { field: 'name' })
    }
    const [row] = await c.db
      .update(approvalExternalSystems)
      .set({
        ...(parsed.name !== undefined ? { name: parsed.name } : {}),
        ...(parsed.webhookUrl !== undefined ? { webhookUrl: parsed.webhookUrl } : {}),
        ...(parsed.active !== undefined ? { active: parsed.active } : {}),
        updatedAt: c.clock.now(),
      })
      .where(and(eq(approvalExternalSystems.tenantId, c.tenantId), eq(approvalExternalSystems.id, before.id)))
      .returning()
    if (!row) throw new NotFoundError('external system', parsed.systemId)
    await recordAudit(c, {
      action: 'approval.external.update',
      targetType: 'approval_external_system',
      targetId: row.id,
      before: { name: before.name, webhookUrl: before.webhookUrl, active: before.active },
      after: { name: row.name, webhookUrl: row.webhookUrl, active: row.active },
    })
    return toSystemDto(row)
  })
}

/**
 * Issues a new secret (shown once). The previous one keeps verifying the system's calls for
 * `ROTATION_GRACE_MS`; webhooks are signed with the new one at once.
 */
export async function rotateExternalSecret({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: { systemId: string }
}): Promise<{ system: ExternalSystemDto; secret: string }> {
  return withTransaction(ctx, async (_tx, c) => {
    await requireApprovalAdmin(c)
    const before = await requireSystem(c, input.systemId, true)
    const secret = newSecret()
    const now = c.clock.now()
    const [row] = await c.db
      .update(approvalExternalSystems)
      .set({
        secret,
        previousSecret: before.secret,
        previousSecretUntil: new Date(now.getTime() + ROTATION_GRACE_MS),
        rotatedAt: now,
        updatedAt: now,
      })
      .where(and(eq(approvalExternalSystems.tenantId, c.tenantId), eq(approvalExternalSystems.id, before.id)))
      .returning()
    if (!row) throw new NotFoundError('external system', input.systemId)
    await recordAudit(c, {
      action: 'approval.external.rotate',
      targetType: 'approval_external_system',
      targetId: row.id,
      meta: { previousHint: secretHint(before.secret), hint: secretHint(secret) },
    })
    return { system: toSystemDto(row), secret }
  })
}

/** The tenant's external systems (approval admins). */
export async function listExternalSystems({ ctx }: { ctx: ServiceContext }): Promise<ExternalSystemDto[]> {
  await requireApprovalAdmin(ctx)
  const rows = await ctx.db
    .select()
    .from(approvalExternalSystems)
    .where(eq(approvalExternalSystems.tenantId, ctx.tenantId))
    .orderBy(asc(approvalExternalSystems.createdAt))
  return rows.map(toSystemDto)
}

export async function requireSystem(
  ctx: ServiceContext,
  systemId: string,
  lock = false,
): Promise<ExternalSystemRow> {
  const q = ctx.db
    .select()
    .from(approvalExternalSystems)
    .where(and(eq(approvalExternalSystems.tenantId, ctx.tenantId), eq(approvalExternalSystems.id, systemId)))
  const [row] = lock ? await q.for('update') : await q
  if (!row) throw new NotFoundError('external system', systemId)
  return row
}
