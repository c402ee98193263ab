import { and, desc, eq, ne, sql } from 'drizzle-orm'
import { invoices } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { recordAudit } from '../audit/record-audit'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { requireContract } from '../contracts/access'
import { loadCrmAccess } from '../crm/access'
import { InvalidInputError, InvalidTransitionError, NotFoundError } from '../errors'
import {
  type InvoiceInput,
  type InvoiceStatusInput,
  invoiceInput,
  invoiceStatusInput,
  parseInput,
} from './schemas'

export interface InvoiceDto {
  id: string
  contractId: string
  amountCents: number
  title: string
  taxNumber: string | null
  status: 'requested' | 'issued' | 'cancelled'
  invoiceNumber: string | null
  issuedOn: string | null
  externalId: string | null
  createdAt: string
}

type InvoiceRow = typeof invoices.$inferSelect
const toDto = (r: InvoiceRow): InvoiceDto => ({
  id: r.id,
  contractId: r.contractId,
  amountCents: r.amountCents,
  title: r.title,
  taxNumber: r.taxNumber,
  status: r.status,
  invoiceNumber: r.invoiceNumber,
  issuedOn: r.issuedOn,
  externalId: r.externalId,
  createdAt: r.createdAt.toISOString(),
})

/**
 * Requests an invoice (开票) against an active or completed contract; invoices not cancelled may not total
 * more than the contract amount (400 naming `amountCents`). An external id makes an ERP's post idempotent.
 */
export async function requestInvoice({
  ctx,
  input,
  systemId,
}: {
  ctx: ServiceContext
  input: InvoiceInput
  systemId?: string
}): Promise<InvoiceDto> {
  const data = parseInput(invoiceInput, input)
  return withTransaction(ctx, async (_tx, c) => {
    const access = await loadCrmAccess(c)
    const contract = await requireContract(c, access, data.contractId, { forUpdate: true })
    if (data.externalId) {
      const [existing] = await c.db
        .select()
        .from(invoices)
        .where(
          and(
            eq(invoices.tenantId, c.tenantId),
            systemId ? eq(invoices.externalSystemId, systemId) : sql`${invoices.externalSystemId} is null`,
            eq(invoices.externalId, data.externalId),
          ),
        )
      if (existing) return toDto(existing)
    }
    if (contract.status !== 'active' && contract.status !== 'completed')
      throw new InvalidTransitionError(`the contract is ${contract.status}`, { field: 'contractId' })
    const [sum] = await c.db
      .select({ total: sql<string>`coalesce(sum(${invoices.amountCents}), 0)` })
      .from(invoices)
      .where(
        and(
          eq(invoices.tenantId, c.tenantId),
          eq(invoices.contractId, contract.id),
          ne(invoices.status, 'cancelled'),
        ),
      )
    const invoiced = Number(sum?.total ?? 0)
    if (invoiced + data.amountCents > contract.amountCents)
      throw new InvalidInputError(
        'amountCents',
        `amountCents: 开票合计将超过合同金额（已开 ${invoiced / 100} 元）/ invoices would exceed the contract amount`,
      )
    const now = c.clock.now()
    const [row] = await c.db
      .insert(invoices)
      .values({
        id: newId('inv'),
        tenantId: c.tenantId,
        contractId: contract.id,
        amountCents: data.amountCents,
        title: data.title,
        taxNumber: data.taxNumber ?? null,
        externalSystemId: data.externalId ? (systemId ?? null) : null,
        externalId: data.externalId ?? null,
        createdById: actorId(c.actor),
        createdAt: now,
        updatedAt: now,
      })
      .returning()
    if (!row) throw new Error('invoice insert returned nothing')
    await recordAudit(c, {
      action: 'sales.invoice.request',
      targetType: 'invoice',
      targetId: row.id,
      after: data,
    })
    return toDto(row)
  })
}

/**
 * Moves an invoice: requested → issued (with its number and day) or cancelled; issued → cancelled. Setting
 * the status it already has changes nothing (an ERP may repeat its post).
 */
export async function setInvoiceStatus({
  ctx,
  invoiceId,
  input,
}: {
  ctx: ServiceContext
  invoiceId: string
  input: InvoiceStatusInput
}): Promise<InvoiceDto> {
  const data = parseInput(invoiceStatusInput, input)
  return withTransaction(ctx, async (_tx, c) => {
    const [row] = await c.db
      .select()
      .from(invoices)
      .where(and(eq(invoices.tenantId, c.tenantId), eq(invoices.id, invoiceId)))
      .for('update')
    if (!row) throw new NotFoundError('invoice', invoiceId)
    await requireContract(c, await loadCrmAccess(c), row.contractId)
    if (row.status === data.status) return toDto(row)
    if (row.status === 'cancelled') throw new InvalidTransitionError('the invoice is cancelled')
    if (data.status === 'issued' && !data.invoiceNumber)
      throw new InvalidInputError(
        'invoiceNumber',
        'invoiceNumber: 开票需要发票号码 / an issued invoice needs its number',
      )
    const [updated] = await c.db
      .update(invoices)
      .set({
        status: data.status,
        ...(data.status === 'issued'
          ? {
              invoiceNumber: data.invoiceNumber ?? null,
              issuedOn: data.issuedOn ?? c.clock.now().toISOString().slice(0, 10),
            }
          : {}),
        updatedAt: c.clock.now(),
      })
      .where(and(eq(invoices.tenantId, c.tenantId), eq(invoices.id, row.id)))
      .returning()
    if (!updated) throw new Error('invoice update returned nothing')
    await recordAudit(c, {
      action: `sales.invoice.${data.status}`,
      targetType: 'invoice',
      targetId: row.id,
      before: { status: row.status },
      after: data,
    })
    return toDto(updated)
  })
}

/** Invoices of a contract the caller may see, newest first. */
export async function listInvoices({
  ctx,
  contractId,
}: {
  ctx: ServiceContext
  contractId: string
}): Promise<InvoiceDto[]> {
  await requireContract(ctx, await loadCrmAccess(ctx), contractId)
  const rows = await ctx.db
    .select()
    .from(invoices)
    .where(and(eq(invoices.tenantId, ctx.tenantId), eq(invoices.contractId, contractId)))
    .orderBy(desc(invoices.createdAt))
  return rows.map(toDto)
}
