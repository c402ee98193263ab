import { and, asc, eq } from 'drizzle-orm'
import { leadChannels } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { sealSecret } from '../../lib/secret-box'
import { newSecret, secretHint } from '../../lib/signed-call'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { isUniqueViolation } from '../crm/dto'
import { ConflictError, NotFoundError } from '../errors'
import { requirePermission } from '../org/permissions'
import { ensureDefaultChannels, publicKey } from './ensure-default-channels'
import { forgetIntakeChannel } from './receive-intake'
import { channelInput, parseInput, updateChannelInput } from './schemas'

export type ChannelRow = typeof leadChannels.$inferSelect

/** A channel as the API shows it: the secret never, only whether one is set and its last characters. */
export interface ChannelDto {
  id: string
  code: string | null
  name: string
  sort: number
  active: boolean
  intakeKey: string
  intakePath: string
  preset: ChannelRow['preset']
  fieldMapping: Record<string, string>
  formKey: string | null
  formPath: string | null
  slaMinutes: number | null
  secretHint: string | null
}

export const toChannelDto = (c: ChannelRow): ChannelDto => ({
  id: c.id,
  code: c.code,
  name: c.name,
  sort: c.sort,
  active: c.active,
  intakeKey: c.intakeKey,
  intakePath: `/api/v1/intake/${c.intakeKey}`,
  preset: c.preset,
  fieldMapping: c.fieldMapping,
  formKey: c.formKey,
  formPath: c.formKey ? `/f/${c.formKey}` : null,
  slaMinutes: c.slaMinutes,
  secretHint: c.secret ? secretHint(c.secret) : null,
})

/** The tenant's channels in display order (the defaults are created on first use). */
export async function listChannels({ ctx }: { ctx: ServiceContext }): Promise<ChannelDto[]> {
  await ensureDefaultChannels(ctx)
  const rows = await ctx.db
    .select()
    .from(leadChannels)
    .where(eq(leadChannels.tenantId, ctx.tenantId))
    .orderBy(asc(leadChannels.sort), asc(leadChannels.createdAt))
  return rows.map(toChannelDto)
}

const nameTaken = () => new ConflictError('a channel with this name exists', { field: 'name' })

/** Adds a channel (lead managers). */
export async function createChannel({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: unknown
}): Promise<ChannelDto> {
  const data = parseInput(channelInput, input)
  return withTransaction(ctx, async (_tx, txCtx) => {
    await requirePermission(txCtx, 'crm.leads.manage')
    await ensureDefaultChannels(txCtx)
    const now = txCtx.clock.now()
    try {
      const [row] = await txCtx.db.transaction((sp) =>
        sp
          .insert(leadChannels)
          .values({
            id: newId('lch'),
            tenantId: txCtx.tenantId,
            name: data.name,
            sort: data.sort ?? 1000,
            active: data.active ?? true,
            intakeKey: publicKey('lk'),
            preset: data.preset ?? 'generic',
            fieldMapping: data.fieldMapping ?? {},
            formKey: data.webForm ? publicKey('lf') : null,
            slaMinutes: data.slaMinutes ?? null,
            createdAt: now,
            updatedAt: now,
          })
          .returning(),
      )
      if (!row) throw new Error('insert returned nothing')
      await recordAudit(txCtx, {
        action: 'crm.channel.create',
        targetType: 'lead_channel',
        targetId: row.id,
        after: { name: row.name },
      })
      return toChannelDto(row)
    } catch (err) {
      if (isUniqueViolation(err)) throw nameTaken()
      throw err
    }
  })
}

async function requireChannelRow(ctx: ServiceContext, id: string): Promise<ChannelRow> {
  const [row] = await ctx.db
    .select()
    .from(leadChannels)
    .where(and(eq(leadChannels.tenantId, ctx.tenantId), eq(leadChannels.id, id)))
    .for('update')
  if (!row) throw new NotFoundError('channel', id)
  return row
}

/** Renames, reorders, switches off, changes the preset, mapping, SLA or web form of a channel. */
export async function updateChannel({
  ctx,
  channelId,
  input,
}: {
  ctx: ServiceContext
  channelId: string
  input: unknown
}): Promise<ChannelDto> {
  const data = parseInput(updateChannelInput, input)
  const dto = await withTransaction(ctx, async (_tx, txCtx) => {
    await requirePermission(txCtx, 'crm.leads.manage')
    const before = await requireChannelRow(txCtx, channelId)
    const { webForm, ...rest } = data
    const set = {
      ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
      ...(webForm === true && !before.formKey ? { formKey: publicKey('lf') } : {}),
      ...(webForm === false ? { formKey: null } : {}),
      updatedAt: txCtx.clock.now(),
    }
    try {
      const [row] = await txCtx.db.transaction((sp) =>
        sp.update(leadChannels).set(set).where(eq(leadChannels.id, channelId)).returning(),
      )
      if (!row) throw new Error('update returned nothing')
      await recordAudit(txCtx, {
        action: 'crm.channel.update',
        targetType: 'lead_channel',
        targetId: channelId,
        after: rest,
      })
      return toChannelDto(row)
    } catch (err) {
      if (isUniqueViolation(err)) throw nameTaken()
      throw err
    }
  })
  forgetIntakeChannel(dto.intakeKey)
  return dto
}

/**
 * Generates a new intake secret, shown once. The previous one keeps working for 24 h so the sender can
 * switch over without losing leads.
 */
export async function rotateChannelSecret({
  ctx,
  channelId,
}: {
  ctx: ServiceContext
  channelId: string
}): Promise<{ channel: ChannelDto; secret: string }> {
  const out = await withTransaction(ctx, async (_tx, txCtx) => {
    await requirePermission(txCtx, 'crm.leads.manage')
    const before = await requireChannelRow(txCtx, channelId)
    const secret = newSecret()
    const now = txCtx.clock.now()
    const [row] = await txCtx.db
      .update(leadChannels)
      .set({
        secret: await sealSecret(secret, 'lead-channel'),
        previousSecret: before.secret,
        previousSecretUntil: before.secret ? new Date(now.getTime() + 86_400_000) : null,
        updatedAt: now,
      })
      .where(eq(leadChannels.id, channelId))
      .returning()
    if (!row) throw new Error('update returned nothing')
    await recordAudit(txCtx, {
      action: 'crm.channel.rotate_secret',
      targetType: 'lead_channel',
      targetId: channelId,
    })
    return { channel: toChannelDto(row), secret }
  })
  forgetIntakeChannel(out.channel.intakeKey)
  return out
}
