import { and, eq, sql } from 'drizzle-orm'
import { approvalTemplates, approvalTemplateVersions } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { recordAudit } from '../audit/record-audit'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { ConflictError, InvalidInputError, NotFoundError } from '../errors'
import { checkDefinition } from './create-template'
import { checkApproversResolvable } from './engine/publish-check'
import type { TemplateDefinitionInput } from './schemas'
import { loadPublishOrg, requireApprovalAdmin } from './store'

/**
 * Publishes a new version of a template (admins only). Running instances keep the version they started
 * with; new submissions use this one.
 */
export async function updateTemplate({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: {
    key: string
    definition: TemplateDefinitionInput
    active?: boolean
    /** The version the editor started from: when someone published since, 409 and nothing changes. */
    baseVersion?: number
  }
}): Promise<{ id: string; key: string; version: number }> {
  const def = checkDefinition(input.definition)
  if (def.key !== input.key) throw new InvalidInputError('key', 'the key of a template cannot change')
  return withTransaction(ctx, async (_tx, c) => {
    await requireApprovalAdmin(c)
    checkApproversResolvable(def.flow, await loadPublishOrg(c))
    const [row] = await c.db
      .update(approvalTemplates)
      .set({
        name: def.name,
        nameEn: def.nameEn ?? null,
        description: def.description ?? null,
        aliases: def.aliases,
        currentVersion: sql`${approvalTemplates.currentVersion} + 1`,
        ...(input.active !== undefined ? { active: input.active } : {}),
        updatedAt: c.clock.now(),
      })
      .where(
        and(
          eq(approvalTemplates.tenantId, c.tenantId),
          eq(approvalTemplates.key, input.key),
          ...(input.baseVersion !== undefined
            ? [eq(approvalTemplates.currentVersion, input.baseVersion)]
            : []),
        ),
      )
      .returning({ id: approvalTemplates.id, version: approvalTemplates.currentVersion })
    if (!row) {
      const [current] = await c.db
        .select({ version: approvalTemplates.currentVersion })
        .from(approvalTemplates)
        .where(and(eq(approvalTemplates.tenantId, c.tenantId), eq(approvalTemplates.key, input.key)))
      if (current)
        throw new ConflictError(
          `template ${input.key} is at version ${current.version} now, not ${input.baseVersion}; reload it and edit again`,
          { field: 'baseVersion' },
        )
      throw new NotFoundError('approval template', input.key)
    }
    await c.db.insert(approvalTemplateVersions).values({
      id: newId('apv'),
      tenantId: c.tenantId,
      templateId: row.id,
      version: row.version,
      form: def.form,
      flow: def.flow,
      settings: def.settings,
      createdBy: actorId(c.actor),
    })
    await recordAudit(c, {
      action: 'approval.template.update',
      targetType: 'approval_template',
      targetId: row.id,
      after: { version: row.version, ...def },
    })
    return { id: row.id, key: def.key, version: row.version }
  })
}
