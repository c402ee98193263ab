import type { paths } from './schema'
import { api, type Schemas, unwrap } from './typed'

/** Response shapes of the sales API (`/api/v1/crm/{opportunities,contracts,payments,…}`), from bot/http/routes/sales-schemas.ts. */
export type Opportunity = Schemas['SalesOpportunity']
export type OpportunityDetail = Schemas['SalesOpportunityDetail']
export type StageSet = Schemas['SalesStageSet']
export type Stage = StageSet['stages'][number]
export type CloseReason = Schemas['SalesCloseReason']
export type FieldChange = Schemas['SalesFieldChange']
export type ContractDetail = Schemas['SalesContractDetail']
export type Contract = Schemas['SalesContract']
export type ContractReceivables = Schemas['SalesContractReceivables']
export type Instalment = Schemas['SalesInstalment']
export type Invoice = Schemas['SalesInvoice']
export type RecordedPayment = Schemas['SalesRecordedPayment']
export type PaymentRequest = Schemas['SalesPaymentRequest']
export type DealReview = Schemas['SalesDealReview']
export type SimilarWonDeal = Schemas['SalesSimilarWonDeal']
export type DealReviewQuery = NonNullable<paths['/api/v1/crm/deal-reviews']['get']['parameters']['query']>
export type DealReviewInput = NonNullable<
  paths['/api/v1/crm/opportunities/{id}/review']['put']['requestBody']
>['content']['application/json']

export type OpportunityQuery = NonNullable<paths['/api/v1/crm/opportunities']['get']['parameters']['query']>
export type PaymentInput = NonNullable<
  paths['/api/v1/crm/payments']['post']['requestBody']
>['content']['application/json']
export type PaymentMethod = PaymentInput['method']

export const PAYMENT_METHODS: readonly PaymentMethod[] = ['bank_transfer', 'cash', 'cheque', 'alipay', 'wechat', 'other']

export async function listOpportunities(query: OpportunityQuery, signal?: AbortSignal): Promise<Opportunity[]> {
  return (await unwrap(api().GET('/api/v1/crm/opportunities', { params: { query }, signal }))).items
}

export async function getOpportunity(id: string, signal?: AbortSignal): Promise<OpportunityDetail> {
  return unwrap(api().GET('/api/v1/crm/opportunities/{id}', { params: { path: { id } }, signal }))
}

export async function getOpportunityHistory(id: string, signal?: AbortSignal): Promise<FieldChange[]> {
  return (await unwrap(api().GET('/api/v1/crm/opportunities/{id}/history', { params: { path: { id } }, signal })))
    .items
}

export async function listStageSets(signal?: AbortSignal): Promise<StageSet[]> {
  return (await unwrap(api().GET('/api/v1/crm/stage-sets', { signal }))).items
}

export async function listCloseReasons(signal?: AbortSignal): Promise<CloseReason[]> {
  return (await unwrap(api().GET('/api/v1/crm/close-reasons', { signal }))).items
}

export async function changeStage(id: string, stageId: string, version: number): Promise<Opportunity> {
  return unwrap(
    api().POST('/api/v1/crm/opportunities/{id}/stage', { params: { path: { id } }, body: { stageId, version } }),
  )
}

export async function closeOpportunity(
  id: string,
  body: { outcome: 'won' | 'lost'; reasonId?: string; note?: string },
): Promise<Opportunity> {
  return unwrap(api().POST('/api/v1/crm/opportunities/{id}/close', { params: { path: { id } }, body }))
}

/** 打单经验: the review of a closed deal, or null before anyone wrote it. */
export async function getDealReview(id: string, signal?: AbortSignal): Promise<DealReview | null> {
  return (await unwrap(api().GET('/api/v1/crm/opportunities/{id}/review', { params: { path: { id } }, signal }))).review
}

export async function writeDealReview(id: string, body: DealReviewInput): Promise<DealReview> {
  return unwrap(api().PUT('/api/v1/crm/opportunities/{id}/review', { params: { path: { id } }, body }))
}

export async function listDealReviews(query: DealReviewQuery, signal?: AbortSignal): Promise<DealReview[]> {
  return (await unwrap(api().GET('/api/v1/crm/deal-reviews', { params: { query }, signal }))).items
}

export async function similarWonDeals(id: string, signal?: AbortSignal): Promise<SimilarWonDeal[]> {
  return (await unwrap(api().GET('/api/v1/crm/opportunities/{id}/similar-won', { params: { path: { id } }, signal })))
    .items
}

export async function getContract(id: string, signal?: AbortSignal): Promise<ContractDetail> {
  return unwrap(api().GET('/api/v1/crm/contracts/{id}', { params: { path: { id } }, signal }))
}

export async function getContractReceivables(id: string, signal?: AbortSignal): Promise<ContractReceivables> {
  return unwrap(api().GET('/api/v1/crm/contracts/{id}/receivables', { params: { path: { id } }, signal }))
}

export async function listInvoices(contractId: string, signal?: AbortSignal): Promise<Invoice[]> {
  return (
    await unwrap(api().GET('/api/v1/crm/contracts/{id}/invoices', { params: { path: { id: contractId } }, signal }))
  ).items
}

/** Registers a payment: recorded at once, or (回款审批 on) a request waiting for finance (202). */
export async function recordPayment(
  body: PaymentInput,
): Promise<{ kind: 'recorded'; recorded: RecordedPayment } | { kind: 'requested'; request: PaymentRequest }> {
  const data = await unwrap(api().POST('/api/v1/crm/payments', { body }))
  return 'request' in data ? { kind: 'requested', request: data.request } : { kind: 'recorded', recorded: data }
}

/** The 回款审批 requests of a contract, newest first. */
export async function listPaymentRequests(contractId: string, signal?: AbortSignal): Promise<PaymentRequest[]> {
  return (
    await unwrap(
      api().GET('/api/v1/crm/contracts/{id}/payment-requests', { params: { path: { id: contractId } }, signal }),
    )
  ).items
}

/** ¥12,345.00 from integer cents (the API never sends floats for money). */
export function formatYuan(cents: number, locale: string): string {
  return `¥${(cents / 100).toLocaleString(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`
}

export type ContractQuery = NonNullable<paths['/api/v1/crm/contracts']['get']['parameters']['query']>

export async function listContracts(query: ContractQuery, signal?: AbortSignal): Promise<Contract[]> {
  return (await unwrap(api().GET('/api/v1/crm/contracts', { params: { query }, signal }))).items
}
