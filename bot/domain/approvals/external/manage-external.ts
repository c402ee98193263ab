import { and, eq } from 'drizzle-orm'
import { approvalTemplates } from '../../../../db/schema'
import { type ServiceContext, withTransaction } from '../../context'
import { ConflictError, InvalidInputError } from '../../errors'
import { createTemplate } from '../create-template'
import { updateTemplate } from '../update-template'
import type { ApprovalView } from '../view'
import { endInstance } from '../withdraw-instance'
import type { ExternalSystemRow } from './manage-systems'
import type { ExternalTemplateInput } from './schemas'
import { latestExternalInstance } from './start-external-approval'

/**
 * Creates or publishes a new version of a template the external system owns, with its own form schema and
 * flow. Such templates are started only by that system (not offered in chat or the mini-app). A key
 * taken by an ordinary template or another system's is a 409.
 */
export async function registerExternalTemplate({
  ctx,
  system,
  key,
  input,
}: {
  ctx: ServiceContext
  system: ExternalSystemRow
  key: string
  input: ExternalTemplateInput
}): Promise<{ id: string; key: string; version: number; created: boolean }> {
  if (input.key !== key) throw new InvalidInputError('key', 'the body key must match the path')
  return withTransaction(ctx, async (_tx, c) => {
    const [existing] = await c.db
      .select({ id: approvalTemplates.id, externalSystemId: approvalTemplates.externalSystemId })
      .from(approvalTemplates)
      .where(and(eq(approvalTemplates.tenantId, c.tenantId), eq(approvalTemplates.key, key)))
      .for('update')
    if (existing && existing.externalSystemId !== system.id)
      throw new ConflictError(`template key ${key} is taken`, { field: 'key' })
    if (existing)
      return { ...(await updateTemplate({ ctx: c, input: { key, definition: input } })), created: false }
    const made = await createTemplate({ ctx: c, input })
    await c.db
      .update(approvalTemplates)
      .set({ externalSystemId: system.id })
      .where(and(eq(approvalTemplates.tenantId, c.tenantId), eq(approvalTemplates.id, made.id)))
    return { ...made, created: true }
  })
}

/** The system withdraws its open request for `externalId` (the record was deleted there): 撤销. */
export async function cancelExternalApproval({
  ctx,
  system,
  externalId,
  comment,
}: {
  ctx: ServiceContext
  system: ExternalSystemRow
  externalId: string
  comment?: string | undefined
}): Promise<ApprovalView> {
  const instanceId = await latestExternalInstance(ctx, system, externalId)
  return endInstance(ctx, instanceId, comment, 'cancelled', async () => {})
}
