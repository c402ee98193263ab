import { t } from '../cards/i18n'
import { opportunityCard, paymentRecordedCard } from '../cards/sales-card'
import type { CardActionHandler } from '../chat/model'
import { getContract } from '../domain/contracts'
import { InvalidInputError } from '../domain/errors'
import { changeStage, getOpportunity, listStageSets } from '../domain/opportunities'
import { chinaDay, PAYMENT_METHODS, registerPayment } from '../domain/payments'

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '')

/** Yuan as typed on a card ("12,000.5") → integer cents, or a 400 naming `amount`. */
function centsOf(v: unknown): number {
  const s = str(v).replace(/[,，\s¥]/g, '')
  if (!/^\d+(\.\d{1,2})?$/.test(s))
    throw new InvalidInputError('amount', '请输入金额，最多两位小数 / enter an amount')
  const [whole = '0', frac = ''] = s.split('.')
  return Number(whole) * 100 + Number(frac.padEnd(2, '0'))
}

/**
 * Sales card actions. Each re-checks scope and state through the domain verb (the payload only names the
 * record): a tap on a record outside the tapper's scope answers "not found".
 */
export const salesActions: Record<string, CardActionHandler> = {
  /**
   * 「登记回款」 on the overdue reminder: records the payment against the instalment as the tapper, or — when
   * the tenant's CRM rules ask for 回款审批 — submits it for approval (recorded once finance approves).
   */
  'sales.payment.register': async ({ ctx, locale, payload, formValues }) => {
    const method = str(formValues.method) || 'bank_transfer'
    if (!(PAYMENT_METHODS as readonly string[]).includes(method))
      throw new InvalidInputError('method', 'unknown payment method')
    const receivedOn = str(formValues.receivedOn).slice(0, 10) || chinaDay(ctx.clock.now())
    const amountCents = centsOf(formValues.amount)
    const r = await registerPayment({
      ctx,
      input: {
        contractId: str(payload.contract),
        amountCents,
        receivedOn,
        method: method as (typeof PAYMENT_METHODS)[number],
        allocations: [{ instalmentId: str(payload.instalment), amountCents }],
      },
    })
    if (r.kind === 'requested')
      return {
        toast: {
          kind: 'success',
          text: t(
            locale,
            '回款已提交审批，财务通过后入账',
            'Payment sent for approval; it counts once finance approves',
          ),
        },
      }
    const detail = await getContract({ ctx, contractId: str(payload.contract) })
    return {
      toast: { kind: 'success', text: t(locale, '回款已登记', 'Payment registered') },
      card: paymentRecordedCard(
        {
          contractNumber: detail.contract.number,
          customerName: detail.contract.customer.name,
          amountCents,
          outstandingCents: r.receivables.outstandingCents,
          paidInstalments: r.receivables.paidInstalments,
          totalInstalments: r.receivables.totalInstalments,
        },
        locale,
      ),
    }
  },
  'sales.opportunity.show': async ({ ctx, locale, payload }) => {
    const { opportunity } = await getOpportunity({ ctx, opportunityId: str(payload.opp) })
    const sets = await listStageSets({ ctx })
    return {
      card: opportunityCard(
        opportunity,
        sets.find((s) => s.id === opportunity.stageSetId),
        locale,
      ),
    }
  },
  /** A stage button on the opportunity card; `v` refuses a tap on a stale card (409). */
  'sales.opportunity.stage': async ({ ctx, locale, payload }) => {
    const opp = await changeStage({
      ctx,
      opportunityId: str(payload.opp),
      input: {
        stageId: str(payload.stage),
        ...(typeof payload.v === 'number' ? { version: payload.v } : {}),
      },
    })
    const sets = await listStageSets({ ctx })
    return {
      toast: {
        kind: 'success',
        text: t(locale, `已更新为「${opp.stage.name}」`, `Moved to ${opp.stage.nameEn ?? opp.stage.name}`),
      },
      card: opportunityCard(
        opp,
        sets.find((s) => s.id === opp.stageSetId),
        locale,
      ),
    }
  },
}
