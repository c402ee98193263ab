import { and, eq } from 'drizzle-orm'
import { customerAttributions, leadChannels, leadFollowUps } from '../../../db/schema'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { loadCrmAccess, requireCustomer } from '../crm/access'
import { addContact } from '../crm/add-contact'
import { createCustomer } from '../crm/create-customer'
import { InvalidTransitionError } from '../errors'
import type { LeadRow } from './access'
import { workableLead } from './internal/work-lead'
import { canMove, progress } from './lifecycle'
import { convertInput, parseInput } from './schemas'

/**
 * What happens after a lead became a customer and a contact, inside the same transaction. Opportunities
 * plug in here (create one from the lead's product interest); nothing is registered until they exist.
 */
export type ConversionHook = (
  ctx: ServiceContext,
  converted: { lead: LeadRow; customerId: string; contactId: string },
) => Promise<void>

export const conversionHooks: ConversionHook[] = []

export interface ConvertLeadResult {
  lead: LeadRow
  customerId: string
  contactId: string
  createdCustomer: boolean
}

/**
 * Converts a lead (转化) in one transaction: links the named customer (the caller must be able to work on
 * it) or creates one (a duplicate is the customer API's 409 naming whom to ask), adds the lead's person as
 * a contact, carries the attribution (channel, campaign, lead) to the customer and marks the lead
 * converted (its follow-ups stay on the lead, which the attribution links to).
 */
export async function convertLead({
  ctx,
  leadId,
  input,
}: {
  ctx: ServiceContext
  leadId: string
  input: unknown
}): Promise<ConvertLeadResult> {
  const data = parseInput(convertInput, input ?? {})
  return withTransaction(ctx, async (_tx, txCtx) => {
    const { lead, me } = await workableLead(txCtx, leadId)
    if (!canMove(lead.status, 'converted'))
      throw new InvalidTransitionError(`the lead is already ${lead.status}`)
    let customerId: string
    let createdCustomer = false
    if (data.customerId) {
      await requireCustomer(txCtx, await loadCrmAccess(txCtx), data.customerId, 'write')
      customerId = data.customerId
    } else {
      const [channel] = await txCtx.db
        .select({ name: leadChannels.name })
        .from(leadChannels)
        .where(eq(leadChannels.id, lead.channelId))
      const customer = await createCustomer({
        ctx: txCtx,
        input: {
          name: data.customerName ?? lead.company ?? lead.name,
          ...(lead.phone && !lead.company ? { phone: lead.phone } : {}),
          source: channel?.name ?? null,
          ...(lead.ownerId && lead.ownerId !== me ? { ownerId: lead.ownerId } : {}),
        },
      })
      customerId = customer.id
      createdCustomer = true
    }
    const contact = await addContact({
      ctx: txCtx,
      customerId,
      input: {
        name: lead.name,
        title: data.contactTitle ?? null,
        phone: lead.phoneRaw,
        email: lead.emailValid ? lead.email : null,
        isPrimary: createdCustomer,
        notes: lead.message,
      },
    })
    await txCtx.db
      .insert(customerAttributions)
      .values({
        tenantId: txCtx.tenantId,
        customerId,
        leadId: lead.id,
        channelId: lead.channelId,
        campaignId: lead.campaignId,
        at: txCtx.clock.now(),
      })
      .onConflictDoNothing()
    const followUps = await txCtx.db
      .select({ id: leadFollowUps.id })
      .from(leadFollowUps)
      .where(and(eq(leadFollowUps.tenantId, txCtx.tenantId), eq(leadFollowUps.leadId, lead.id)))
    const after = await progress(txCtx, lead, {
      status: 'converted',
      patch: { customerId, contactId: contact.id, convertedAt: txCtx.clock.now() },
    })
    for (const hook of conversionHooks) await hook(txCtx, { lead: after, customerId, contactId: contact.id })
    await recordAudit(txCtx, {
      action: 'crm.lead.convert',
      targetType: 'lead',
      targetId: lead.id,
      after: { customerId, contactId: contact.id, createdCustomer, followUps: followUps.length },
    })
    return { lead: after, customerId, contactId: contact.id, createdCustomer }
  })
}
