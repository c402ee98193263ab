import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { InvalidInputError } from '../../domain/errors'
import {
  invoiceInput,
  invoiceStatusInput,
  recordPayment,
  recordPaymentInput,
  requestInvoice,
  setInvoiceStatus,
} from '../../domain/payments'
import { upsertProducts, upsertProductsInput } from '../../domain/products'
import type { AppEnv } from '../types'
import { requireSignature, signedErrors, signedHeaders, systemContext, systemOf } from './approvals-external'
import { body, ok } from './openapi'
import { SalesInvoice, SalesRecordedPayment } from './sales-schemas'

const idempotencyHeaders = signedHeaders.extend({
  'idempotency-key': z.string().max(128).optional().openapi({
    description: 'default: the body’s `externalId`; a repeated key answers with the first record',
  }),
})

function signedRoute<P extends string>(path: P, summary: string) {
  return {
    method: 'post' as const,
    path,
    summary,
    tags: ['external sales'],
    security: [{ externalSignature: [] }],
    middleware: requireSignature,
  }
}

/** The external id of a post: the body's, else the Idempotency-Key header; one is required. */
function externalIdOf(bodyId: string | undefined, header: string | undefined): string {
  const id = bodyId ?? header?.trim()
  if (!id)
    throw new InvalidInputError(
      'externalId',
      'externalId: 需要 externalId 或 Idempotency-Key / externalId or Idempotency-Key required',
    )
  return id
}

/**
 * The signed API for ERP and finance systems (same signature as the external approvals): the product
 * catalogue (bulk upsert by SKU), payments (回款) and invoices against contracts, all idempotent.
 */
export function salesExternalRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>()
  app.openapi(
    createRoute({
      ...signedRoute('/external/crm/products', 'Upsert products by SKU (up to 1000 per call)'),
      request: { headers: signedHeaders, ...body(upsertProductsInput) },
      responses: ok(
        z.object({ inserted: z.number().int(), updated: z.number().int() }).openapi('SalesUpsertResult'),
        'counts',
        signedErrors,
      ),
    }),
    async (c) => {
      const system = systemOf(c)
      return c.json(
        await upsertProducts({
          ctx: systemContext(c, system),
          input: c.req.valid('json'),
          systemId: system.id,
        }),
        200,
      )
    },
  )
  app.openapi(
    createRoute({
      ...signedRoute(
        '/external/crm/payments',
        'Post a payment (回款) against a contract; idempotent by external id',
      ),
      request: { headers: idempotencyHeaders, ...body(recordPaymentInput) },
      responses: ok(
        SalesRecordedPayment,
        'the payment and the contract’s receivables; `created` false on a repeat',
        signedErrors,
      ),
    }),
    async (c) => {
      const system = systemOf(c)
      const body = c.req.valid('json')
      const externalId = externalIdOf(body.externalId, c.req.header('idempotency-key'))
      return c.json(
        await recordPayment({
          ctx: systemContext(c, system),
          input: { ...body, externalId },
          systemId: system.id,
        }),
        200,
      )
    },
  )
  app.openapi(
    createRoute({
      ...signedRoute(
        '/external/crm/invoices',
        'Record an invoice (开票) against a contract; idempotent by external id',
      ),
      request: { headers: idempotencyHeaders, ...body(invoiceInput) },
      responses: ok(SalesInvoice, 'the invoice', signedErrors),
    }),
    async (c) => {
      const system = systemOf(c)
      const body = c.req.valid('json')
      const externalId = externalIdOf(body.externalId, c.req.header('idempotency-key'))
      return c.json(
        await requestInvoice({
          ctx: systemContext(c, system),
          input: { ...body, externalId },
          systemId: system.id,
        }),
        200,
      )
    },
  )
  app.openapi(
    createRoute({
      ...signedRoute(
        '/external/crm/invoices/{id}/status',
        'Set an invoice issued (with its number) or cancelled',
      ),
      request: {
        headers: signedHeaders,
        params: z.object({ id: z.string().min(1).max(64) }),
        ...body(invoiceStatusInput),
      },
      responses: ok(SalesInvoice, 'the invoice', signedErrors),
    }),
    async (c) => {
      const system = systemOf(c)
      return c.json(
        await setInvoiceStatus({
          ctx: systemContext(c, system),
          invoiceId: c.req.valid('param').id,
          input: c.req.valid('json'),
        }),
        200,
      )
    },
  )
  return app
}
