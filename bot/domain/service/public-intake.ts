import { and, desc, eq, isNull } from 'drizzle-orm'
import { z } from 'zod'
import type { Database } from '../../../db/client'
import { customers, serviceIntakeCodes, serviceSettings } from '../../../db/schema'
import type { Clock } from '../../lib/clock'
import { groupCommitPer } from '../../lib/group-commit'
import { newId } from '../../lib/ids'
import type { Logger } from '../../lib/logger'
import type { BlobStorage } from '../../lib/storage/types'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { InvalidInputError, NotFoundError } from '../errors'
import { publicKey } from '../leads/ensure-default-channels'
import { countFormHits } from '../leads/submit-form-lead'
import { requirePermission } from '../org/permissions'
import type { TicketRow } from './access'
import { type OpenTicketOptions, type openTicket, openTickets } from './create-ticket'
import { dropPhotos, storeTicketPhotos } from './photos'
import { intakeCodeInput, parseInput } from './schemas'
import { type ServiceSettings, settingsOf } from './settings'

export type IntakeCodeRow = typeof serviceIntakeCodes.$inferSelect

export interface IntakeCodeDto {
  id: string
  code: string
  label: string
  customerId: string | null
  customerName: string | null
  productId: string | null
  deviceLabel: string | null
  active: boolean
  /** The path the QR code points to. */
  path: string
}

/** What the public page may show about a code: the company's form or the device, never customer data. */
export interface PublicCode {
  tenantId: string
  codeId: string
  code: string
  label: string
  deviceLabel: string | null
  customerId: string | null
  productId: string | null
  types: string[]
}

/** The active intake code, or 404 (read at most every {@link INTAKE_CODE_TTL_MS}, see {@link loadIntakeCode}). */
export async function findIntakeCode(
  database: Pick<Database, 'db'>,
  code: string,
  now: Date = new Date(),
): Promise<PublicCode> {
  return (await loadIntakeCode(database, code, now)).form
}

/** How long an intake code and its tenant's settings are reused (a code switched off elsewhere stops within this). */
export const INTAKE_CODE_TTL_MS = 5_000
/** Remembered active codes (codes are unique), each with the database handle it was read from. */
const codeCache = new Map<
  string,
  { owner: object; tenantId: string; form: PublicCode; settings: ServiceSettings; at: number }
>()

/** Forgets a tenant's remembered codes once a change to them or to its service settings has committed. */
export function forgetIntakeCodes(tenantId: string): void {
  for (const [code, hit] of codeCache) if (hit.tenantId === tenantId) codeCache.delete(code)
}

/**
 * {@link findIntakeCode} with the tenant's service settings it read: one round trip, at most every
 * {@link INTAKE_CODE_TTL_MS} per code and database handle (a burst of scans costs one read, not one per
 * ticket). Unknown and inactive codes are not remembered.
 */
async function loadIntakeCode(
  database: Pick<Database, 'db'>,
  code: string,
  now: Date,
): Promise<{ form: PublicCode; settings: ServiceSettings }> {
  const hit = codeCache.get(code)
  if (hit && hit.owner === database.db && now.getTime() - hit.at < INTAKE_CODE_TTL_MS) return hit
  const [found] =
    code.length >= 8 && code.length <= 64
      ? await database.db
          .select({ c: serviceIntakeCodes, s: serviceSettings })
          .from(serviceIntakeCodes)
          .leftJoin(serviceSettings, eq(serviceSettings.tenantId, serviceIntakeCodes.tenantId))
          .where(eq(serviceIntakeCodes.code, code))
      : []
  const c = found?.c
  if (!c?.active) {
    codeCache.delete(code)
    throw new NotFoundError('service form', code)
  }
  const settings = settingsOf(found?.s)
  const form: PublicCode = {
    tenantId: c.tenantId,
    codeId: c.id,
    code: c.code,
    label: c.label,
    deviceLabel: c.deviceLabel,
    customerId: c.customerId,
    productId: c.productId,
    types: settings.types,
  }
  if (codeCache.size >= 1000) codeCache.clear()
  codeCache.set(code, { owner: database.db, tenantId: c.tenantId, form, settings, at: now.getTime() })
  return { form, settings }
}

const publicFields = z.object({
  name: z.string().trim().min(1, 'name is required').max(100),
  phone: z
    .string()
    .trim()
    .min(1, 'phone is required')
    .max(40)
    .regex(/^\+?[\d\s-]{5,}$/, 'phone: digits only'),
  subject: z.string().trim().min(1, 'subject is required').max(200),
  description: z.string().trim().max(5000).nullish(),
  type: z.string().trim().max(40).nullish(),
})

/**
 * A customer's request through the tenant's service form or a device QR code (`/s/{code}`). A filled
 * honeypot or more submissions from one address than the tenant allows in 10 minutes are discarded (the
 * caller answers 202 either way). Photos are checked by content and size and stored through the storage
 * port. The answer is the ticket number and the status link — nothing else of the tenant's data.
 */
export async function submitServiceRequest({
  database,
  clock,
  logger,
  storage,
  code,
  ip,
  input,
}: {
  database: Pick<Database, 'db'>
  clock: Clock
  logger: Logger
  storage: BlobStorage
  code: string
  ip: string
  input: { fields: Record<string, unknown>; honeypot?: string | null; photos: Array<{ data: Uint8Array }> }
}): Promise<{ outcome: 'created' | 'spam'; number: string | null; statusPath: string | null }> {
  const { form, settings } = await loadIntakeCode(database, code, clock.now())
  const ctx: ServiceContext = {
    tenantId: form.tenantId,
    actor: { kind: 'system', reason: `service-form:${form.codeId}` },
    db: database.db,
    clock,
    logger,
  }
  if ((input.honeypot ?? '').trim() !== '') return { outcome: 'spam', number: null, statusPath: null }
  const parsed = publicFields.safeParse(input.fields)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const field = issue?.path.map(String).join('.') || 'input'
    throw new InvalidInputError(field, `${field}: ${issue?.message ?? 'invalid'}`)
  }
  const f = parsed.data
  if (f.type && !settings.types.includes(f.type))
    throw new InvalidInputError('type', `type: one of ${settings.types.join(' / ')}`)
  const keys = await storeTicketPhotos(storage, form.tenantId, input.photos)
  try {
    const t = await publicBatcher(database.db, form.tenantId).submit({
      ctx,
      hit: { key: `svc:${form.code}`, ip, limit: settings.formRateLimit },
      fields: {
        subject: f.subject,
        description: f.description ?? null,
        type: f.type ?? null,
        priority: null,
        customerId: form.customerId,
        contactId: null,
        contractId: null,
        productId: form.productId,
        reporterName: f.name,
        reporterPhone: f.phone,
        photos: keys,
      },
      opts: {
        channel: form.customerId ? 'qr' : 'form',
        owner: 'rules',
        requesterId: null,
        deviceLabel: form.deviceLabel,
        settings,
        reporterLabel: 'customer',
        freshPhotos: true,
      },
    })
    if (!t) {
      await dropPhotos(storage, keys)
      return { outcome: 'spam', number: null, statusPath: null }
    }
    return { outcome: 'created', number: t.number, statusPath: `/s/t/${t.statusToken}` }
  } catch (err) {
    await dropPhotos(storage, keys)
    throw err
  }
}

/**
 * Public submissions of one tenant arriving together share a transaction (group commit): one rate-limit
 * count (sent with the batch's reads), one number draw, one dispatch-rule lock and one write statement for
 * the batch — two round trips inside the transaction. A submission over its address's limit is discarded
 * (null). A failing batch is retried one by one.
 */
const publicBatcher = groupCommitPer<
  {
    ctx: ServiceContext
    hit: { key: string; ip: string; limit: number }
    fields: Parameters<typeof openTicket>[1]
    opts: OpenTicketOptions
  },
  TicketRow | null
>((items) => {
  const first = items[0]
  if (!first) return Promise.resolve([])
  return withTransaction(first.ctx, (_tx, txCtx) =>
    openTickets(
      txCtx,
      items.map(({ fields, opts }) => ({ fields, opts })),
      // Sent with the batch's reads: one round trip, and no count left by a failed write.
      countFormHits(
        txCtx.db,
        items.map((i) => i.hit),
        txCtx.clock.now(),
      ).then((hits) => items.map((item, i) => (hits[i] ?? 0) <= item.hit.limit)),
    ),
  )
})

async function toDtos(ctx: ServiceContext, rows: IntakeCodeRow[]): Promise<IntakeCodeDto[]> {
  const ids = [...new Set(rows.map((r) => r.customerId).filter((x): x is string => !!x))]
  const names = new Map<string, string>()
  for (const id of ids) {
    const [c] = await ctx.db
      .select({ name: customers.name })
      .from(customers)
      .where(and(eq(customers.tenantId, ctx.tenantId), eq(customers.id, id)))
    if (c) names.set(id, c.name)
  }
  return rows.map((r) => ({
    id: r.id,
    code: r.code,
    label: r.label,
    customerId: r.customerId,
    customerName: r.customerId ? (names.get(r.customerId) ?? null) : null,
    productId: r.productId,
    deviceLabel: r.deviceLabel,
    active: r.active,
    path: `/s/${r.code}`,
  }))
}

/** Day one: the tenant's own service form exists (one code without a customer), made on first need. */
export async function ensureServiceForm(ctx: ServiceContext): Promise<void> {
  const [existing] = await ctx.db
    .select({ id: serviceIntakeCodes.id })
    .from(serviceIntakeCodes)
    .where(and(eq(serviceIntakeCodes.tenantId, ctx.tenantId), isNull(serviceIntakeCodes.customerId)))
    .limit(1)
  if (existing) return
  await ctx.db.insert(serviceIntakeCodes).values({
    id: newId('sic'),
    tenantId: ctx.tenantId,
    code: publicKey('sf'),
    label: '售后服务',
  })
}

/** The tenant's intake codes (its form and the device QR codes), for service managers. */
export async function listIntakeCodes({ ctx }: { ctx: ServiceContext }): Promise<IntakeCodeDto[]> {
  await requirePermission(ctx, 'service.manage')
  await ensureServiceForm(ctx)
  const rows = await ctx.db
    .select()
    .from(serviceIntakeCodes)
    .where(eq(serviceIntakeCodes.tenantId, ctx.tenantId))
    .orderBy(desc(serviceIntakeCodes.createdAt))
    .limit(500)
  return toDtos(ctx, rows)
}

/** A device QR code for a customer (optionally a product and the device's label), for service managers. */
export async function createIntakeCode({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: unknown
}): Promise<IntakeCodeDto> {
  await requirePermission(ctx, 'service.manage')
  const data = parseInput(intakeCodeInput, input)
  return withTransaction(ctx, async (_tx, txCtx) => {
    if (data.customerId) {
      const [c] = await txCtx.db
        .select({ id: customers.id })
        .from(customers)
        .where(and(eq(customers.tenantId, txCtx.tenantId), eq(customers.id, data.customerId)))
      if (!c) throw new InvalidInputError('customerId', 'customerId: no such customer')
    }
    const [row] = await txCtx.db
      .insert(serviceIntakeCodes)
      .values({
        id: newId('sic'),
        tenantId: txCtx.tenantId,
        code: publicKey('sq'),
        label: data.label,
        customerId: data.customerId ?? null,
        productId: data.productId ?? null,
        deviceLabel: data.deviceLabel ?? null,
      })
      .returning()
    if (!row) throw new Error('insert returned nothing')
    const [dto] = await toDtos(txCtx, [row])
    if (!dto) throw new Error('dto')
    return dto
  })
}

/** Switches an intake code off (its page and submissions answer 404 at once in this process) or on again. */
export async function setIntakeCodeActive({
  ctx,
  codeId,
  active,
}: {
  ctx: ServiceContext
  codeId: string
  active: boolean
}): Promise<IntakeCodeDto> {
  await requirePermission(ctx, 'service.manage')
  const dto = await withTransaction(ctx, async (_tx, txCtx) => {
    const [row] = await txCtx.db
      .update(serviceIntakeCodes)
      .set({ active })
      .where(and(eq(serviceIntakeCodes.tenantId, txCtx.tenantId), eq(serviceIntakeCodes.id, codeId)))
      .returning()
    if (!row) throw new NotFoundError('service code', codeId)
    await recordAudit(txCtx, {
      action: active ? 'service.code.enable' : 'service.code.disable',
      targetType: 'service_intake_code',
      targetId: row.id,
      after: { active },
    })
    const [d] = await toDtos(txCtx, [row])
    if (!d) throw new Error('dto')
    return d
  })
  forgetIntakeCodes(ctx.tenantId)
  return dto
}
