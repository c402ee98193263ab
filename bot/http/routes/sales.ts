import { OpenAPIHono } from '@hono/zod-openapi'
import {
  createContract,
  createContractInput,
  endContract,
  endContractInput,
  getContract,
  listContracts,
  listContractsInput,
  submitContract,
  submitContractInput,
  updateContract,
  updateContractInput,
} from '../../domain/contracts'
import {
  changeStage,
  changeStageInput,
  closeOpportunity,
  closeOpportunityInput,
  closeReasonInput,
  createOpportunity,
  createOpportunityInput,
  dealReviewInput,
  defineCloseReason,
  defineStageSet,
  forecastInput,
  getDealReview,
  getForecast,
  getOpportunity,
  getOpportunityHistory,
  listCloseReasons,
  listDealReviews,
  listDealReviewsInput,
  listOpportunities,
  listOpportunitiesInput,
  listStageSets,
  similarWonDeals,
  stageSetInput,
  updateOpportunity,
  updateOpportunityInput,
  writeDealReview,
} from '../../domain/opportunities'
import {
  getContractReceivables,
  getCustomerReceivables,
  getPaymentRequest,
  instalmentPlanInput,
  invoiceInput,
  invoiceStatusInput,
  listInvoices,
  listPaymentRequests,
  overrideCustomerTier,
  recordPaymentInput,
  registerPayment,
  requestInvoice,
  setInstalmentPlan,
  setInvoiceStatus,
  tierOverrideInput,
} from '../../domain/payments'
import {
  createProduct,
  listProducts,
  listProductsInput,
  productInput,
  updateProduct,
  updateProductInput,
} from '../../domain/products'
import { apiContext } from '../middleware/session'
import type { AppEnv } from '../types'
import { body, idParam, json, ok, routeFor } from './openapi'
import {
  listOf,
  SalesCloseReason,
  SalesContract,
  SalesContractDetail,
  SalesContractReceivables,
  SalesContractSubmitted,
  SalesCustomerReceivables,
  SalesDealReview,
  SalesDealReviewOrNone,
  SalesFieldChange,
  SalesForecast,
  SalesInvoice,
  SalesOpportunity,
  SalesOpportunityDetail,
  SalesPaymentRequest,
  SalesPaymentRequested,
  SalesProduct,
  SalesReceivables,
  SalesRecordedPayment,
  SalesSimilarWonDeal,
  SalesStageSet,
  SalesTierOverride,
} from './sales-schemas'

const route = routeFor('sales')

/**
 * The sales API under `/api/v1/crm`: products, stage sets, close reasons and opportunities. Every call
 * runs in the caller's data scope; records outside it answer 404.
 */
export function salesRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>()

  // ---- products ----
  app.openapi(
    route('get', '/crm/products', 'The product catalogue (active products by default)', {
      request: { query: listProductsInput },
      responses: ok(listOf(SalesProduct, 'SalesProducts')),
    }),
    async (c) =>
      c.json({ items: await listProducts({ ctx: apiContext(c), input: c.req.valid('query') }) }, 200),
  )
  app.openapi(
    route('post', '/crm/products', 'Add a product (crm.sales.manage)', {
      request: body(productInput),
      responses: ok(SalesProduct),
    }),
    async (c) => c.json(await createProduct({ ctx: apiContext(c), input: c.req.valid('json') }), 200),
  )
  app.openapi(
    route('patch', '/crm/products/{id}', 'Edit or deactivate a product (crm.sales.manage)', {
      request: { params: idParam, ...body(updateProductInput) },
      responses: ok(SalesProduct),
    }),
    async (c) =>
      c.json(
        await updateProduct({
          ctx: apiContext(c),
          productId: c.req.valid('param').id,
          input: c.req.valid('json'),
        }),
        200,
      ),
  )

  // ---- stage sets and reasons ----
  app.openapi(
    route('get', '/crm/stage-sets', 'Stage sets with their stages and default win probabilities', {
      responses: ok(listOf(SalesStageSet, 'SalesStageSets')),
    }),
    async (c) => c.json({ items: await listStageSets({ ctx: apiContext(c) }) }, 200),
  )
  app.openapi(
    route('post', '/crm/stage-sets', 'Define a stage set for a business line (crm.sales.manage)', {
      request: body(stageSetInput),
      responses: ok(SalesStageSet),
    }),
    async (c) => c.json(await defineStageSet({ ctx: apiContext(c), input: c.req.valid('json') }), 200),
  )
  app.openapi(
    route('get', '/crm/close-reasons', 'Won and lost reasons of the tenant', {
      responses: ok(listOf(SalesCloseReason, 'SalesCloseReasons')),
    }),
    async (c) => c.json({ items: await listCloseReasons({ ctx: apiContext(c) }) }, 200),
  )
  app.openapi(
    route('post', '/crm/close-reasons', 'Add a won or lost reason (crm.sales.manage)', {
      request: body(closeReasonInput),
      responses: ok(SalesCloseReason),
    }),
    async (c) => c.json(await defineCloseReason({ ctx: apiContext(c), input: c.req.valid('json') }), 200),
  )

  // ---- opportunities ----
  app.openapi(
    route('get', '/crm/opportunities', 'Opportunities in your scope with filters and sort', {
      request: { query: listOpportunitiesInput },
      responses: ok(listOf(SalesOpportunity, 'SalesOpportunities')),
    }),
    async (c) =>
      c.json({ items: await listOpportunities({ ctx: apiContext(c), input: c.req.valid('query') }) }, 200),
  )
  app.openapi(
    route('post', '/crm/opportunities', 'Create an opportunity (amount from line items or entered)', {
      request: body(createOpportunityInput),
      responses: ok(SalesOpportunity),
    }),
    async (c) => c.json(await createOpportunity({ ctx: apiContext(c), input: c.req.valid('json') }), 200),
  )
  app.openapi(
    route('get', '/crm/opportunities/{id}', 'One opportunity with line items and stage history', {
      request: { params: idParam },
      responses: ok(SalesOpportunityDetail),
    }),
    async (c) =>
      c.json(await getOpportunity({ ctx: apiContext(c), opportunityId: c.req.valid('param').id }), 200),
  )
  app.openapi(
    route('patch', '/crm/opportunities/{id}', 'Edit an open opportunity (changes go to the field history)', {
      request: { params: idParam, ...body(updateOpportunityInput) },
      responses: ok(SalesOpportunity),
    }),
    async (c) =>
      c.json(
        await updateOpportunity({
          ctx: apiContext(c),
          opportunityId: c.req.valid('param').id,
          input: c.req.valid('json'),
        }),
        200,
      ),
  )
  app.openapi(
    route('post', '/crm/opportunities/{id}/stage', 'Move to another stage of its set (won/lost close it)', {
      request: { params: idParam, ...body(changeStageInput) },
      responses: ok(SalesOpportunity),
    }),
    async (c) =>
      c.json(
        await changeStage({
          ctx: apiContext(c),
          opportunityId: c.req.valid('param').id,
          input: c.req.valid('json'),
        }),
        200,
      ),
  )
  app.openapi(
    route('post', '/crm/opportunities/{id}/close', 'Mark won or lost (lost needs a reason)', {
      request: { params: idParam, ...body(closeOpportunityInput) },
      responses: ok(SalesOpportunity),
    }),
    async (c) =>
      c.json(
        await closeOpportunity({
          ctx: apiContext(c),
          opportunityId: c.req.valid('param').id,
          input: c.req.valid('json'),
        }),
        200,
      ),
  )
  app.openapi(
    route('get', '/crm/opportunities/{id}/history', 'Field history of an opportunity', {
      request: { params: idParam },
      responses: ok(listOf(SalesFieldChange, 'SalesFieldHistory')),
    }),
    async (c) =>
      c.json(
        {
          items: await getOpportunityHistory({ ctx: apiContext(c), opportunityId: c.req.valid('param').id }),
        },
        200,
      ),
  )

  // ---- 打单经验 ----
  app.openapi(
    route(
      'get',
      '/crm/deal-reviews',
      'Reviews of closed deals (打单经验): by outcome, industry, product, competitor, tag, words',
      {
        request: { query: listDealReviewsInput },
        responses: ok(listOf(SalesDealReview, 'SalesDealReviews')),
      },
    ),
    async (c) =>
      c.json({ items: await listDealReviews({ ctx: apiContext(c), input: c.req.valid('query') }) }, 200),
  )
  app.openapi(
    route(
      'get',
      '/crm/opportunities/{id}/review',
      'The review of a closed deal (null when none is written)',
      {
        request: { params: idParam },
        responses: ok(SalesDealReviewOrNone),
      },
    ),
    async (c) =>
      c.json(
        { review: await getDealReview({ ctx: apiContext(c), opportunityId: c.req.valid('param').id }) },
        200,
      ),
  )
  app.openapi(
    route('put', '/crm/opportunities/{id}/review', 'Write or rewrite the review of a closed deal', {
      request: { params: idParam, ...body(dealReviewInput) },
      responses: ok(SalesDealReview),
    }),
    async (c) =>
      c.json(
        await writeDealReview({
          ctx: apiContext(c),
          opportunityId: c.req.valid('param').id,
          input: c.req.valid('json'),
        }),
        200,
      ),
  )
  app.openapi(
    route('get', '/crm/opportunities/{id}/similar-won', 'Won deals like this one, with what they share', {
      request: { params: idParam },
      responses: ok(listOf(SalesSimilarWonDeal, 'SalesSimilarWonDeals')),
    }),
    async (c) =>
      c.json(
        { items: await similarWonDeals({ ctx: apiContext(c), opportunityId: c.req.valid('param').id }) },
        200,
      ),
  )

  // ---- contracts ----
  app.openapi(
    route('get', '/crm/contracts', 'Contracts in your scope', {
      request: { query: listContractsInput },
      responses: ok(listOf(SalesContract, 'SalesContracts')),
    }),
    async (c) =>
      c.json({ items: await listContracts({ ctx: apiContext(c), input: c.req.valid('query') }) }, 200),
  )
  app.openapi(
    route('post', '/crm/contracts', 'Create a draft contract (from a won opportunity or directly)', {
      request: body(createContractInput),
      responses: ok(SalesContract),
    }),
    async (c) => c.json(await createContract({ ctx: apiContext(c), input: c.req.valid('json') }), 200),
  )
  app.openapi(
    route('get', '/crm/contracts/{id}', 'One contract with line items and field history', {
      request: { params: idParam },
      responses: ok(SalesContractDetail),
    }),
    async (c) => c.json(await getContract({ ctx: apiContext(c), contractId: c.req.valid('param').id }), 200),
  )
  app.openapi(
    route('patch', '/crm/contracts/{id}', 'Edit a draft contract (409 while in approval or active)', {
      request: { params: idParam, ...body(updateContractInput) },
      responses: ok(SalesContract),
    }),
    async (c) =>
      c.json(
        await updateContract({
          ctx: apiContext(c),
          contractId: c.req.valid('param').id,
          input: c.req.valid('json'),
        }),
        200,
      ),
  )
  app.openapi(
    route('post', '/crm/contracts/{id}/submit', 'Send a draft contract to 合同审批 (the approvals engine)', {
      request: { params: idParam, ...body(submitContractInput) },
      responses: ok(SalesContractSubmitted),
    }),
    async (c) => {
      const r = await submitContract({
        ctx: apiContext(c),
        contractId: c.req.valid('param').id,
        input: c.req.valid('json'),
      })
      const ins = r.approval.instance
      return c.json(
        { contract: r.contract, approval: { id: ins.id, serialNo: ins.serialNo, status: ins.status } },
        200,
      )
    },
  )
  app.openapi(
    route('post', '/crm/contracts/{id}/end', 'End an active contract as completed or terminated', {
      request: { params: idParam, ...body(endContractInput) },
      responses: ok(SalesContract),
    }),
    async (c) =>
      c.json(
        await endContract({
          ctx: apiContext(c),
          contractId: c.req.valid('param').id,
          input: c.req.valid('json'),
        }),
        200,
      ),
  )

  // ---- 回款 and invoices ----
  app.openapi(
    route(
      'put',
      '/crm/contracts/{id}/instalments',
      'Set the 回款计划 (total must equal the contract amount)',
      {
        request: { params: idParam, ...body(instalmentPlanInput) },
        responses: ok(SalesReceivables),
      },
    ),
    async (c) =>
      c.json(
        await setInstalmentPlan({
          ctx: apiContext(c),
          contractId: c.req.valid('param').id,
          input: c.req.valid('json'),
        }),
        200,
      ),
  )
  app.openapi(
    route(
      'get',
      '/crm/contracts/{id}/receivables',
      '应收/实收/欠款 of a contract with instalments and payments',
      {
        request: { params: idParam },
        responses: ok(SalesContractReceivables),
      },
    ),
    async (c) =>
      c.json(await getContractReceivables({ ctx: apiContext(c), contractId: c.req.valid('param').id }), 200),
  )
  app.openapi(
    route('get', '/crm/customers/{id}/receivables', '应收/实收/欠款 of a customer over its contracts', {
      request: { params: idParam },
      responses: ok(SalesCustomerReceivables),
    }),
    async (c) =>
      c.json(await getCustomerReceivables({ ctx: apiContext(c), customerId: c.req.valid('param').id }), 200),
  )
  app.openapi(
    route(
      'put',
      '/crm/customers/{id}/value-tier',
      'Override (or clear) the 客户价值 tier, with a reason (crm.manage; audited)',
      {
        request: { params: idParam, ...body(tierOverrideInput) },
        responses: ok(SalesTierOverride),
      },
    ),
    async (c) => {
      const input = c.req.valid('json')
      const customerId = c.req.valid('param').id
      await overrideCustomerTier({ ctx: apiContext(c), customerId, input })
      return c.json({ customerId, tier: input.tier, reason: input.tier ? (input.reason ?? null) : null }, 200)
    },
  )
  app.openapi(
    route(
      'post',
      '/crm/payments',
      'Register a payment (回款) against a contract and its instalments; 202 with the 回款审批 request when the CRM rules ask for approval',
      {
        request: body(recordPaymentInput),
        responses: { ...ok(SalesRecordedPayment), 202: json(SalesPaymentRequested, 'waiting for 回款审批') },
      },
    ),
    async (c) => {
      const r = await registerPayment({ ctx: apiContext(c), input: c.req.valid('json') })
      if (r.kind === 'requested') return c.json({ request: r.request }, 202)
      const { kind: _k, ...recorded } = r
      return c.json(recorded, 200)
    },
  )
  app.openapi(
    route('get', '/crm/contracts/{id}/payment-requests', '回款审批 requests of a contract, newest first', {
      request: { params: idParam },
      responses: ok(listOf(SalesPaymentRequest, 'SalesPaymentRequests')),
    }),
    async (c) =>
      c.json(
        { items: await listPaymentRequests({ ctx: apiContext(c), contractId: c.req.valid('param').id }) },
        200,
      ),
  )
  app.openapi(
    route('get', '/crm/payment-requests/{id}', 'One 回款审批 request (its contract within the data scope)', {
      request: { params: idParam },
      responses: ok(SalesPaymentRequest),
    }),
    async (c) =>
      c.json(await getPaymentRequest({ ctx: apiContext(c), requestId: c.req.valid('param').id }), 200),
  )
  app.openapi(
    route('get', '/crm/contracts/{id}/invoices', 'Invoices of a contract', {
      request: { params: idParam },
      responses: ok(listOf(SalesInvoice, 'SalesInvoices')),
    }),
    async (c) =>
      c.json({ items: await listInvoices({ ctx: apiContext(c), contractId: c.req.valid('param').id }) }, 200),
  )
  app.openapi(
    route('post', '/crm/invoices', 'Request an invoice (开票) against a contract', {
      request: body(invoiceInput),
      responses: ok(SalesInvoice),
    }),
    async (c) => c.json(await requestInvoice({ ctx: apiContext(c), input: c.req.valid('json') }), 200),
  )
  app.openapi(
    route('post', '/crm/invoices/{id}/status', 'Mark an invoice issued or cancelled', {
      request: { params: idParam, ...body(invoiceStatusInput) },
      responses: ok(SalesInvoice),
    }),
    async (c) =>
      c.json(
        await setInvoiceStatus({
          ctx: apiContext(c),
          invoiceId: c.req.valid('param').id,
          input: c.req.valid('json'),
        }),
        200,
      ),
  )

  app.openapi(
    route('get', '/crm/forecast', 'Weighted pipeline by month, owner or department (lost deals excluded)', {
      request: { query: forecastInput },
      responses: ok(SalesForecast),
    }),
    async (c) => c.json(await getForecast({ ctx: apiContext(c), input: c.req.valid('query') }), 200),
  )

  return app
}
