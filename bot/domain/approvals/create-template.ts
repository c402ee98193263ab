import { approvalTemplates, approvalTemplateVersions } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { recordAudit } from '../audit/record-audit'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { ConflictError, InvalidInputError } from '../errors'
import { validateFlow } from './engine/flow'
import { checkApproversResolvable } from './engine/publish-check'
import {
  type FormField,
  type TemplateDefinition,
  type TemplateDefinitionInput,
  TemplateDefinitionSchema,
} from './schemas'
import { loadPublishOrg, requireApprovalAdmin, type TemplateVersion } from './store'

/** Validates a definition: zod shape, unique field keys, options on selects, a flow that can complete. */
export function checkDefinition(input: TemplateDefinitionInput): TemplateDefinition {
  const def = TemplateDefinitionSchema.parse(input)
  const keys = new Set<string>()
  for (const f of def.form) {
    if (keys.has(f.key)) throw new InvalidInputError(`form.${f.key}`, `field ${f.key} appears twice`)
    keys.add(f.key)
    if ((f.type === 'select' || f.type === 'multiselect') && !f.options?.length) {
      throw new InvalidInputError(`form.${f.key}`, `field ${f.key} needs options`)
    }
    if (f.type === 'table') checkTableField(f)
    else if (f.columns || f.sumCheck) {
      throw new InvalidInputError(`form.${f.key}`, `only a table field has columns / 只有明细字段有列`)
    }
  }
  for (const f of def.form) {
    if (f.type !== 'table' || !f.sumCheck) continue
    const target = def.form.find((t) => t.key === f.sumCheck?.field)
    if (!target || (target.type !== 'money' && target.type !== 'number')) {
      throw new InvalidInputError(
        `form.${f.key}.sumCheck.field`,
        `${f.label}：合计校验需要一个金额或数字字段 / the sum check needs a money or number field, not ${f.sumCheck.field}`,
      )
    }
  }
  for (const k of [def.settings.businessRefField, def.settings.titleField]) {
    if (k && !keys.has(k)) throw new InvalidInputError('settings', `settings name unknown field ${k}`)
  }
  validateFlow(def.flow, def.form)
  return def
}

/** A table field has distinct columns, options where a column selects, and a sum check on a numeric column. */
function checkTableField(f: FormField): void {
  const path = `form.${f.key}`
  if (!f.columns?.length)
    throw new InvalidInputError(`${path}.columns`, `${f.label}：明细至少一列 / a table needs columns`)
  const seen = new Set<string>()
  for (const c of f.columns) {
    if (seen.has(c.key))
      throw new InvalidInputError(`${path}.columns.${c.key}`, `column ${c.key} appears twice`)
    seen.add(c.key)
    if (c.type === 'select' && !c.options?.length) {
      throw new InvalidInputError(`${path}.columns.${c.key}`, `column ${c.key} needs options`)
    }
  }
  if (f.sumCheck) {
    const col = f.columns.find((c) => c.key === f.sumCheck?.column)
    if (!col || (col.type !== 'money' && col.type !== 'number')) {
      throw new InvalidInputError(
        `${path}.sumCheck.column`,
        `${f.label}：合计列须为金额或数字 / the summed column must be money or a number`,
      )
    }
  }
}

/** Creates a template at version 1 (admins only). */
export async function createTemplate({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: TemplateDefinitionInput
}): Promise<{ id: string; key: string; version: number }> {
  const def = checkDefinition(input)
  return withTransaction(ctx, async (_tx, c) => {
    await requireApprovalAdmin(c)
    checkApproversResolvable(def.flow, await loadPublishOrg(c))
    const id = newId('apt')
    const inserted = await c.db
      .insert(approvalTemplates)
      .values({
        id,
        tenantId: c.tenantId,
        key: def.key,
        name: def.name,
        nameEn: def.nameEn ?? null,
        description: def.description ?? null,
        aliases: def.aliases,
        currentVersion: 1,
      })
      .onConflictDoNothing()
      .returning({ id: approvalTemplates.id })
    if (inserted.length === 0) throw new ConflictError(`template ${def.key} already exists`, { field: 'key' })
    await c.db.insert(approvalTemplateVersions).values({
      id: newId('apv'),
      tenantId: c.tenantId,
      templateId: id,
      version: 1,
      form: def.form,
      flow: def.flow,
      settings: def.settings,
      createdBy: actorId(c.actor),
    })
    await recordAudit(c, {
      action: 'approval.template.create',
      targetType: 'approval_template',
      targetId: id,
      after: def,
    })
    return { id, key: def.key, version: 1 }
  })
}

/**
 * A draft as it would run, for the designer's previews (the chat card, the mini-app form): checked as a
 * publish checks the definition, nothing written. Admins only.
 */
export async function previewTemplate({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: TemplateDefinitionInput
}): Promise<TemplateVersion> {
  await requireApprovalAdmin(ctx)
  const def = checkDefinition(input)
  return {
    templateId: 'preview',
    key: def.key,
    name: def.name,
    nameEn: def.nameEn ?? null,
    active: true,
    externalSystemId: null,
    versionId: 'preview',
    version: 1,
    form: def.form,
    flow: def.flow,
    settings: def.settings,
  }
}
