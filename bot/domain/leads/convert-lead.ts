import { and, eq } from 'drizzle-orm'
import { customerAttributions, customers, leadChannels, leadFollowUps } from '../../../db/schema'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { loadCrmAccess, requireCustomer } from '../crm/access'
import { addContact } from '../crm/add-contact'
import { createCustomer } from '../crm/create-customer'
import { InvalidTransitionError } from '../errors'
import { createOpportunity } from '../opportunities/create-opportunity'
import type { LeadRow } from './access'
import { workableLead } from './internal/work-lead'
import { canMove, progress } from './lifecycle'
import { convertInput, parseInput } from './schemas'

export interface ConvertLeadResult {
  lead: LeadRow
  customerId: string
  contactId: string
  createdCustomer: boolean
  /** The opportunity opened with the conversion, when asked for. */
  opportunityId: string | null
}

/**
 * Converts a lead (转化) in one transaction: links the named customer (the caller must be able to work on
 * it) or creates one (a duplicate is the customer API's 409 naming whom to ask), adds the lead's person as
 * a contact, carries the attribution (channel, campaign, lead) to the customer and marks the lead
 * converted (its follow-ups stay on the lead, which the attribution links to). With `opportunity` it also
 * opens an opportunity for the customer linked to the lead (`leadId`, channel, campaign), owned by the
 * lead's owner; any failure (a bad amount, no right to own it) rolls the whole conversion back.
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
    let opportunityId: string | null = null
    if (data.opportunity) {
      const [customer] = await txCtx.db
        .select({ name: customers.name })
        .from(customers)
        .where(and(eq(customers.tenantId, txCtx.tenantId), eq(customers.id, customerId)))
      const o = data.opportunity
      const opportunity = await createOpportunity({
        ctx: txCtx,
        input: {
          name:
            o.name ??
            [customer?.name ?? lead.name, lead.productInterest].filter(Boolean).join(' · ').slice(0, 200),
          customerId,
          leadId: lead.id,
          ...(o.amountCents !== undefined ? { amountCents: o.amountCents } : {}),
          ...(o.expectedCloseDate ? { expectedCloseDate: o.expectedCloseDate } : {}),
          ...(lead.ownerId && lead.ownerId !== me ? { ownerId: lead.ownerId } : {}),
        },
      })
      opportunityId = opportunity.id
    }
    await recordAudit(txCtx, {
      action: 'crm.lead.convert',
      targetType: 'lead',
      targetId: lead.id,
      after: {
        customerId,
        contactId: contact.id,
        createdCustomer,
        opportunityId,
        followUps: followUps.length,
      },
    })
    return { lead: after, customerId, contactId: contact.id, createdCustomer, opportunityId }
  })
}
