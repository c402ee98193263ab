import { z } from '@hono/zod-openapi'
import type { ContractDetail, ContractDto } from '../../domain/contracts'
import type { FieldChange } from '../../domain/crm'
import type {
  CloseReason,
  DealReviewDto,
  Forecast,
  OpportunityDetail,
  OpportunityDto,
  SimilarWonDeal,
  StageSetView,
} from '../../domain/opportunities'
import type {
  ContractReceivables,
  CustomerReceivables,
  InvoiceDto,
  PaymentDto,
  PaymentRequestDto,
} from '../../domain/payments'
import type { ProductDto } from '../../domain/products'

const iso = z.string().openapi({ format: 'date-time' })
const day = z.string().openapi({ format: 'date', example: '2026-12-31' })
const cents = z.number().int().openapi({ description: 'integer cents' })
const person = z.object({ id: z.string(), name: z.string() })

export const SalesProduct = z
  .object({
    id: z.string(),
    sku: z.string(),
    name: z.string(),
    unit: z.string(),
    listPriceCents: cents,
    category: z.string().nullable(),
    active: z.boolean(),
    updatedAt: iso,
  })
  .openapi('SalesProduct')

export const SalesStageSet = z
  .object({
    id: z.string(),
    name: z.string(),
    businessLine: z.string().nullable(),
    isDefault: z.boolean(),
    stages: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        nameEn: z.string().nullable(),
        probability: z.number().int(),
        sortOrder: z.number().int(),
        kind: z.enum(['open', 'won', 'lost']),
        forecastCategory: z.enum(['pipeline', 'best_case', 'commit']),
      }),
    ),
  })
  .openapi('SalesStageSet')

export const SalesCloseReason = z
  .object({ id: z.string(), kind: z.enum(['won', 'lost']), name: z.string() })
  .openapi('SalesCloseReason')

export const SalesFactor = z
  .object({
    factor: z.string(),
    value: z.string(),
    factorEn: z.string().optional(),
    valueEn: z.string().optional(),
    effect: z.number(),
  })
  .openapi('SalesProbabilityFactor')

export const SalesOpportunity = z
  .object({
    id: z.string(),
    name: z.string(),
    customer: person,
    stageSetId: z.string(),
    stage: z.object({
      id: z.string(),
      name: z.string(),
      nameEn: z.string().nullable(),
      probability: z.number().int(),
      kind: z.enum(['open', 'won', 'lost']),
    }),
    status: z.enum(['open', 'won', 'lost']),
    amountCents: cents,
    amountSource: z.enum(['items', 'manual']),
    expectedCloseDate: day.nullable(),
    owner: z.object({ id: z.string(), name: z.string(), department: z.string().nullable() }),
    teamIds: z.array(z.string()),
    competitors: z.array(z.string()),
    channel: z.string().nullable(),
    campaign: z.string().nullable(),
    leadId: z.string().nullable(),
    closeReason: person.nullable(),
    closeNote: z.string().nullable(),
    closedAt: iso.nullable(),
    stageEnteredAt: iso,
    lastActivityAt: iso,
    closeDateSlips: z.number().int(),
    winProbability: z.number().int(),
    probabilityFactors: z.array(SalesFactor),
    version: z.number().int(),
    createdAt: iso,
    updatedAt: iso,
  })
  .openapi('SalesOpportunity')

export const SalesLineItem = z
  .object({
    id: z.string(),
    productId: z.string().nullable(),
    name: z.string(),
    quantity: z.number().int(),
    unitPriceCents: cents,
    amountCents: cents,
  })
  .openapi('SalesLineItem')

export const SalesOpportunityDetail = z
  .object({
    opportunity: SalesOpportunity,
    items: z.array(SalesLineItem),
    stageHistory: z.array(
      z.object({
        stageId: z.string(),
        stageName: z.string(),
        enteredAt: iso,
        leftAt: iso.nullable(),
        durationSeconds: z.number().int(),
        amountCents: cents,
        expectedCloseDate: day.nullable(),
      }),
    ),
  })
  .openapi('SalesOpportunityDetail')

export const SalesFieldChange = z
  .object({
    field: z.string(),
    oldValue: z.unknown(),
    newValue: z.unknown(),
    actor: person.nullable(),
    at: iso,
  })
  .openapi('SalesFieldChange')

export const SalesContract = z
  .object({
    id: z.string(),
    number: z.string(),
    name: z.string(),
    customer: person,
    opportunityId: z.string().nullable(),
    owner: person,
    amountCents: cents,
    discountBp: z.number().int().openapi({ description: 'basis points: 1500 = 15 %' }),
    status: z.enum(['draft', 'in_approval', 'active', 'completed', 'terminated']),
    approvalInstanceId: z.string().nullable(),
    signedDate: day.nullable(),
    startDate: day.nullable(),
    endDate: day.nullable(),
    activatedAt: iso.nullable(),
    version: z.number().int(),
    createdAt: iso,
    updatedAt: iso,
  })
  .openapi('SalesContract')

export const SalesContractDetail = z
  .object({ contract: SalesContract, items: z.array(SalesLineItem), history: z.array(SalesFieldChange) })
  .openapi('SalesContractDetail')

export const SalesContractSubmitted = z
  .object({
    contract: SalesContract,
    approval: z.object({ id: z.string(), serialNo: z.string(), status: z.string() }),
  })
  .openapi('SalesContractSubmitted')

export const SalesInstalment = z
  .object({
    id: z.string(),
    seq: z.number().int(),
    dueDate: day,
    amountCents: cents,
    receivedCents: cents,
    outstandingCents: cents,
    status: z.enum(['paid', 'partial', 'open', 'overdue']),
  })
  .openapi('SalesInstalment')

const receivablesFields = {
  contractId: z.string(),
  receivableCents: cents,
  receivedCents: cents,
  outstandingCents: cents,
  overdueCents: cents,
  paidInstalments: z.number().int(),
  totalInstalments: z.number().int(),
  label: z.string().openapi({ example: '3/5 期' }),
  instalments: z.array(SalesInstalment),
}

export const SalesReceivables = z.object(receivablesFields).openapi('SalesReceivables')

export const SalesPayment = z
  .object({
    id: z.string(),
    contractId: z.string(),
    customerId: z.string(),
    amountCents: cents,
    receivedOn: day,
    method: z.string(),
    note: z.string().nullable(),
    externalId: z.string().nullable(),
    allocations: z.array(z.object({ instalmentId: z.string(), seq: z.number().int(), amountCents: cents })),
    createdAt: iso,
  })
  .openapi('SalesPayment')

export const SalesContractReceivables = z
  .object({ ...receivablesFields, payments: z.array(SalesPayment) })
  .openapi('SalesContractReceivables')

export const SalesRecordedPayment = z
  .object({ payment: SalesPayment, receivables: SalesReceivables, created: z.boolean() })
  .openapi('SalesRecordedPayment')

export const SalesPaymentRequest = z
  .object({
    id: z.string(),
    contractId: z.string(),
    customerId: z.string(),
    amountCents: cents,
    receivedOn: day,
    method: z.string(),
    note: z.string().nullable(),
    allocations: z.array(z.object({ instalmentId: z.string(), amountCents: cents })).nullable(),
    state: z.enum(['pending', 'approved', 'rejected', 'withdrawn', 'failed']),
    approvalInstanceId: z.string(),
    paymentId: z.string().nullable(),
    failure: z.string().nullable().openapi({ description: 'why an approved request could not be recorded' }),
    applicantId: z.string(),
    createdAt: iso,
    decidedAt: iso.nullable(),
  })
  .openapi('SalesPaymentRequest')

/** 202 of a payment registered while 回款审批 is on: the request waiting for its approval. */
export const SalesPaymentRequested = z
  .object({ request: SalesPaymentRequest })
  .openapi('SalesPaymentRequested')

export const SalesCustomerReceivables = z
  .object({
    customerId: z.string(),
    receivableCents: cents,
    receivedCents: cents,
    outstandingCents: cents,
    overdueCents: cents,
    paidInstalments: z.number().int(),
    totalInstalments: z.number().int(),
    label: z.string(),
    contracts: z.array(
      z.object({ ...receivablesFields, number: z.string(), name: z.string(), status: z.string() }),
    ),
  })
  .openapi('SalesCustomerReceivables')

export const SalesInvoice = z
  .object({
    id: z.string(),
    contractId: z.string(),
    amountCents: cents,
    title: z.string(),
    taxNumber: z.string().nullable(),
    status: z.enum(['requested', 'issued', 'cancelled']),
    invoiceNumber: z.string().nullable(),
    issuedOn: day.nullable(),
    externalId: z.string().nullable(),
    createdAt: iso,
  })
  .openapi('SalesInvoice')

const forecastFields = {
  count: z.number().int(),
  amountCents: cents,
  weightedCents: cents,
  commitCents: cents,
  bestCaseCents: cents,
  pipelineCents: cents,
  wonCents: cents,
}
export const SalesForecast = z
  .object({
    groupBy: z.enum(['month', 'owner', 'department']),
    from: day,
    to: day,
    rows: z.array(z.object({ key: z.string(), label: z.string(), ...forecastFields })),
    total: z.object(forecastFields),
  })
  .openapi('SalesForecast')

export const SalesTierOverride = z
  .object({
    customerId: z.string(),
    tier: z.enum(['A', 'B', 'C', 'D']).nullable(),
    reason: z.string().nullable(),
  })
  .openapi('SalesTierOverride')

const dealReviewShape = {
  id: z.string(),
  opportunityId: z.string(),
  outcome: z.enum(['won', 'lost']),
  whatWorked: z.string(),
  lessons: z.string(),
  competitors: z.array(z.string()),
  tags: z.array(z.string()),
  industry: z.string().nullable(),
  productIds: z.array(z.string()),
  author: person,
  version: z.number().int(),
  createdAt: iso,
  updatedAt: iso,
  deal: z
    .object({ name: z.string(), customerId: z.string(), customerName: z.string(), amountCents: cents })
    .nullable()
    .openapi({ description: 'The deal, when it is in your data scope; null otherwise' }),
}

export const SalesDealReview = z.object(dealReviewShape).openapi('SalesDealReview')

export const SalesDealReviewOrNone = z
  .object({ review: SalesDealReview.nullable() })
  .openapi('SalesDealReviewOrNone')

export const SalesSimilarWonDeal = z
  .object({
    ...dealReviewShape,
    shared: z.object({ industry: z.boolean(), products: z.number().int(), competitors: z.array(z.string()) }),
  })
  .openapi('SalesSimilarWonDeal')

export const listOf = <T extends z.ZodType>(item: T, name: string) =>
  z.object({ items: z.array(item) }).openapi(name)

// ---- compile-time checks: each DTO is exactly what its schema publishes ----
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const same = <T extends true>(_: T): void => undefined
same<Same<ProductDto, z.infer<typeof SalesProduct>>>(true)
same<Same<StageSetView, z.infer<typeof SalesStageSet>>>(true)
same<Same<CloseReason, z.infer<typeof SalesCloseReason>>>(true)
same<Same<OpportunityDto, z.infer<typeof SalesOpportunity>>>(true)
same<Same<OpportunityDetail, z.infer<typeof SalesOpportunityDetail>>>(true)
same<Same<FieldChange, z.infer<typeof SalesFieldChange>>>(true)
same<Same<ContractDto, z.infer<typeof SalesContract>>>(true)
same<Same<ContractDetail, z.infer<typeof SalesContractDetail>>>(true)
same<Same<PaymentDto, z.infer<typeof SalesPayment>>>(true)
same<Same<PaymentRequestDto, z.infer<typeof SalesPaymentRequest>>>(true)
same<Same<ContractReceivables, z.infer<typeof SalesContractReceivables>>>(true)
same<Same<CustomerReceivables, z.infer<typeof SalesCustomerReceivables>>>(true)
same<Same<InvoiceDto, z.infer<typeof SalesInvoice>>>(true)
same<Same<Forecast, z.infer<typeof SalesForecast>>>(true)
same<Same<DealReviewDto, z.infer<typeof SalesDealReview>>>(true)
same<Same<SimilarWonDeal, z.infer<typeof SalesSimilarWonDeal>>>(true)
