import { and, inArray } from 'drizzle-orm'
import { contracts, opportunities } from '../../../db/schema'
import { onApprovalFinished, onResubmitted } from '../approvals/on-finished'
import { registerReferenceResolver } from '../approvals/references'
import { loadCrmAccess } from '../crm/access'
import { visibleOpportunities } from '../opportunities/access'
import { PAYMENT_TEMPLATE_KEY } from '../payments/approval-template'
import { applyPaymentApprovalOutcome, resubmitPaymentRequest } from '../payments/payment-requests'
import { visibleContracts } from './access'
import { applyApprovalOutcome } from './apply-approval-outcome'
import { CONTRACT_TEMPLATE_KEY } from './approval-template'
import { resubmitContractRequest } from './submit-contract'

/**
 * Wires contracts and opportunities into the approvals engine: approval forms may reference them (checked
 * for existence and the initiator's data scope), a contract follows its approval's outcome, and a 回款
 * request's approval records its payment. A returned request resubmitted with edits changes its 回款
 * request with it, or is refused where the form only mirrors the contract.
 * Idempotent; runs when this module loads.
 */
export function registerSalesHooks(): void {
  registerReferenceResolver('contract', async (ctx, ids) => {
    const access = await loadCrmAccess(ctx)
    const rows = await ctx.db
      .select({ id: contracts.id })
      .from(contracts)
      .where(and(inArray(contracts.id, ids), visibleContracts(ctx, access)))
    return new Set(rows.map((r) => r.id))
  })
  registerReferenceResolver('opportunity', async (ctx, ids) => {
    const access = await loadCrmAccess(ctx)
    const rows = await ctx.db
      .select({ id: opportunities.id })
      .from(opportunities)
      .where(and(inArray(opportunities.id, ids), visibleOpportunities(ctx, access)))
    return new Set(rows.map((r) => r.id))
  })
  onApprovalFinished('contract', async ({ ctx, event }) => {
    // 回款审批 requests reference their contract too: their outcome records (or drops) the payment.
    if (event.templateKey === PAYMENT_TEMPLATE_KEY) await applyPaymentApprovalOutcome({ ctx, event })
    else await applyApprovalOutcome({ ctx, event })
  })
  onResubmitted(PAYMENT_TEMPLATE_KEY, resubmitPaymentRequest)
  onResubmitted(CONTRACT_TEMPLATE_KEY, resubmitContractRequest)
}

registerSalesHooks()
