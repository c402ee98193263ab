import { customFieldDefs } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { ConflictError, ForbiddenError, InvalidInputError } from '../errors'
import { loadCrmAccess } from './access'
import { type CustomFieldDef, customFieldKeyTaken, loadCustomFieldDefs } from './custom-fields'
import { type CustomFieldDefInput, customFieldDefInput, parseInput } from './schemas'

export async function listCustomFields({ ctx }: { ctx: ServiceContext }): Promise<CustomFieldDef[]> {
  return loadCustomFieldDefs(ctx)
}

/** Adds a typed custom field to the tenant's customers (admins only). */
export async function defineCustomField({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: CustomFieldDefInput
}): Promise<CustomFieldDef> {
  const data = parseInput(customFieldDefInput, input)
  if ((data.type === 'select' || data.type === 'multiselect') && data.options.length === 0)
    throw new InvalidInputError('options', 'select fields need options')
  return withTransaction(ctx, async (_tx, txCtx) => {
    const access = await loadCrmAccess(txCtx)
    if (!access.canManage || access.scope !== 'all')
      throw new ForbiddenError('only admins may define custom fields')
    if ((await customFieldKeyTaken(txCtx, data.key)).length > 0)
      throw new ConflictError(`custom field ${data.key} already exists`)
    const [row] = await txCtx.db
      .insert(customFieldDefs)
      .values({ id: newId('cfd'), tenantId: txCtx.tenantId, ...data })
      .returning()
    if (!row) throw new Error('insert returned nothing')
    await recordAudit(txCtx, {
      action: 'crm.custom_field.define',
      targetType: 'custom_field',
      targetId: row.id,
      after: data,
    })
    return row
  })
}
