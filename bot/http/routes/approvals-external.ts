import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { createMiddleware } from 'hono/factory'
import {
  type ApprovalView,
  authenticateExternalCall,
  cancelExternalApproval,
  currentTasks,
  EXTERNAL_ID_RE,
  type ExternalSystemRow,
  getExternalApproval,
  InitiatorRef,
  listExternalSystems,
  listWebhookDeliveries,
  redeliverWebhook,
  registerExternalSystem,
  registerExternalTemplate,
  rotateExternalSecret,
  startExternalApproval,
  TemplateDefinitionSchema,
  updateExternalSystem,
  userName,
} from '../../domain/approvals'
import { systemContext as domainSystemContext, type ServiceContext } from '../../domain/context'
import { SIGNATURE_HEADERS } from '../../lib/signed-call'
import { apiContext, requireSession } from '../middleware/session'
import { ErrorSchema, errorResponses, secretUnavailableResponse } from '../schemas'
import type { AppEnv } from '../types'
import { body, json } from './openapi'

// ---------------------------------------------------------------------------------------------------------
// The signed API for external systems

const signedSystems = new WeakMap<Request, ExternalSystemRow>()

/** Verifies the signature over the raw body (read once; the validators reuse Hono's body cache). */
export const requireSignature = createMiddleware<AppEnv>(async (c, next) => {
  const deps = c.get('deps')
  const raw = await c.req.text()
  const system = await authenticateExternalCall({
    db: deps.database.db,
    clock: deps.clock,
    headers: (name) => c.req.header(name),
    body: raw,
  })
  signedSystems.set(c.req.raw, system)
  await next()
})

export function systemOf(c: { req: { raw: Request } }): ExternalSystemRow {
  const s = signedSystems.get(c.req.raw)
  if (!s) throw new Error('external route without requireSignature')
  return s
}

/** The context of a signed call: the external system acting in its tenant. */
export function systemContext(
  c: Parameters<typeof apiContext>[0],
  system: ExternalSystemRow,
): ServiceContext {
  const deps = c.get('deps')
  return domainSystemContext(
    { db: deps.database.db, clock: deps.clock, logger: c.get('logger') },
    { tenantId: system.tenantId, reason: `external system ${system.id}` },
  )
}

export const signedHeaders = z.object({
  [SIGNATURE_HEADERS.system]: z.string().openapi({ description: 'the system id (`exs_…`)' }),
  [SIGNATURE_HEADERS.timestamp]: z.string().openapi({ description: 'unix seconds; ±300 s' }),
  [SIGNATURE_HEADERS.nonce]: z.string().openapi({ description: '16-64 of A-Z a-z 0-9 _ -, never reused' }),
  [SIGNATURE_HEADERS.signature]: z
    .string()
    .openapi({ description: '`v1=` + hex HMAC-SHA256(secret, `<timestamp>.<nonce>.<raw body>`)' }),
})

const signed = {
  tags: ['external approvals'],
  security: [{ externalSignature: [] }],
  middleware: requireSignature,
}

export const signedErrors = {
  ...errorResponses,
  401: {
    description: 'missing or bad signature, stale timestamp, reused nonce, unknown or inactive system',
    content: { 'application/json': { schema: ErrorSchema } },
  },
  ...secretUnavailableResponse,
}

const PersonRef = z.object({ id: z.string(), name: z.string() })

const ExternalStatusSchema = z
  .object({
    instanceId: z.string(),
    serialNo: z.string(),
    externalId: z.string(),
    templateKey: z.string(),
    title: z.string(),
    status: z.enum(['pending', 'approved', 'rejected', 'returned', 'withdrawn', 'cancelled']),
    link: z.string().nullable(),
    initiator: PersonRef,
    /** Who must act now. */
    pendingApprovers: z.array(PersonRef),
    decisions: z.array(
      z.object({
        approver: PersonRef,
        result: z.string(),
        comment: z.string().nullable(),
        at: z.string().nullable(),
      }),
    ),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
    webhook: z
      .object({
        eventId: z.string(),
        status: z.string(),
        attempts: z.number(),
        lastError: z.string().nullable(),
      })
      .nullable(),
  })
  .openapi('ExternalApprovalStatus')

function statusDto(
  view: ApprovalView,
  webhook: { id: string; status: string; attempts: number; lastError: string | null } | null,
): z.infer<typeof ExternalStatusSchema> {
  const ins = view.instance
  const person = (id: string) => ({ id, name: userName(view, id) })
  const tasks = currentTasks(view).filter((t) => t.kind === 'approve')
  return {
    instanceId: ins.id,
    serialNo: ins.serialNo,
    externalId: ins.external?.externalId ?? '',
    templateKey: view.template.key,
    title: ins.title,
    status: ins.status,
    link: ins.external?.link ?? null,
    initiator: person(ins.initiatorId),
    pendingApprovers: tasks.filter((t) => t.status === 'pending').map((t) => person(t.assigneeId)),
    decisions: tasks
      .filter((t) => t.status === 'approved' || t.status === 'rejected' || t.status === 'returned')
      .map((t) => ({
        approver: person(t.assigneeId),
        result: t.status,
        comment: t.comment,
        at: t.decidedAt?.toISOString() ?? null,
      })),
    createdAt: ins.createdAt.toISOString(),
    finishedAt: ins.finishedAt?.toISOString() ?? null,
    webhook: webhook
      ? {
          eventId: webhook.id,
          status: webhook.status,
          attempts: webhook.attempts,
          lastError: webhook.lastError,
        }
      : null,
  }
}

const StartBody = z
  .object({
    templateKey: z.string().min(1).max(64).openapi({ example: 'purchase' }),
    externalId: z.string().regex(EXTERNAL_ID_RE).openapi({ example: 'PO-2026-0042' }),
    link: z.string().max(2000).optional().openapi({ example: 'https://erp.example.com/po/42' }),
    initiator: InitiatorRef,
    form: z.record(z.string(), z.unknown()),
    approvers: z.record(z.string(), z.array(z.string()).min(1).max(20)).optional(),
  })
  .openapi('ExternalApprovalStart')

const ExternalIdParam = z.object({ externalId: z.string().regex(EXTERNAL_ID_RE) })

/** The finished-event webhook body, documented under `webhooks` in the OpenAPI document. */
const FinishedEventSchema = z
  .object({
    id: z.string().openapi({ description: 'event id (`evt_…`): the same on every attempt; dedupe on it' }),
    type: z.literal('approval.finished'),
    createdAt: z.string(),
    data: z.object({
      externalId: z.string(),
      instanceId: z.string(),
      serialNo: z.string(),
      templateKey: z.string(),
      status: z.enum(['approved', 'rejected', 'withdrawn', 'cancelled']),
      finishedAt: z.string().nullable(),
      decisions: z.array(
        z.object({
          step: z.string(),
          approver: PersonRef,
          result: z.string(),
          comment: z.string().nullable(),
          at: z.string().nullable(),
        }),
      ),
    }),
  })
  .openapi('ApprovalFinishedEvent')

const signedRoutes = {
  start: createRoute({
    ...signed,
    method: 'post',
    path: '/external/approvals',
    summary: 'Start an approval from an external system (ERP, HR, finance)',
    description: [
      'Signed: `X-Flowcard-Signature: v1=<hex HMAC-SHA256(secret, "<X-Flowcard-Timestamp>.<X-Flowcard-Nonce>.<raw body>")>`.',
      'Idempotent by the `Idempotency-Key` header (default: `externalId`): a retry answers 200 with the request it',
      'already started; the same key with a different body is 409. A second request for an `externalId` whose',
      'approval is still open is 409. Uses an ordinary template or one the system registered',
      '(`PUT /external/templates/{key}`). When the approval ends, `approval.finished` is POSTed to the',
      "system's webhook URL (see `webhooks`).",
    ].join(' '),
    request: {
      headers: signedHeaders.extend({ 'idempotency-key': z.string().max(200).optional() }),
      ...body(StartBody),
    },
    responses: {
      201: json(ExternalStatusSchema, 'started'),
      200: json(ExternalStatusSchema, 'already started by this idempotency key'),
      ...signedErrors,
    },
  }),
  get: createRoute({
    ...signed,
    method: 'get',
    path: '/external/approvals/{externalId}',
    summary: 'The status of the newest approval started for an external id',
    description: 'Signed like every external call; the signed body is the empty string.',
    request: { headers: signedHeaders, params: ExternalIdParam },
    responses: { 200: json(ExternalStatusSchema, 'status'), ...signedErrors },
  }),
  cancel: createRoute({
    ...signed,
    method: 'post',
    path: '/external/approvals/{externalId}/cancel',
    summary: 'Cancel (撤销) the open approval of an external id',
    request: {
      headers: signedHeaders,
      params: ExternalIdParam,
      ...body(z.object({ comment: z.string().max(1000).optional() })),
    },
    responses: { 200: json(ExternalStatusSchema, 'cancelled'), ...signedErrors },
  }),
  template: createRoute({
    ...signed,
    method: 'put',
    path: '/external/templates/{key}',
    summary: "Register or update the system's own template (form schema and flow)",
    description:
      'Templates a system owns are started only by it. A key taken by an ordinary template or another system is 409.',
    request: {
      headers: signedHeaders,
      params: z.object({ key: z.string().min(1).max(64) }),
      ...body(TemplateDefinitionSchema),
    },
    responses: {
      200: json(
        z.object({ id: z.string(), key: z.string(), version: z.number().int(), created: z.boolean() }),
        'registered',
      ),
      ...signedErrors,
    },
  }),
}

// ---------------------------------------------------------------------------------------------------------
// Admin: registering systems, secrets, deliveries

const admin = { tags: ['external approvals'], security: [{ session: [] }], middleware: requireSession }

const SystemSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    webhookUrl: z.string(),
    active: z.boolean(),
    secretHint: z.string(),
    previousSecretUntil: z.string().nullable(),
    createdAt: z.string(),
    rotatedAt: z.string().nullable(),
  })
  .openapi('ExternalSystem')

const SystemWithSecret = z
  .object({
    system: SystemSchema,
    secret: z.string().openapi({ description: 'shown this once; store it in the external system' }),
  })
  .openapi('ExternalSystemSecret')

const DeliverySchema = z
  .object({
    id: z.string(),
    event: z.string(),
    instanceId: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    createdAt: z.string(),
    history: z.array(
      z.object({
        attempt: z.number().int(),
        at: z.string(),
        statusCode: z.number().int().nullable(),
        error: z.string().nullable(),
        durationMs: z.number().int(),
      }),
    ),
  })
  .openapi('WebhookDelivery')

const SystemIdParam = z.object({ id: z.string().min(1).max(64) })

const adminRoutes = {
  list: createRoute({
    ...admin,
    method: 'get',
    path: '/approvals/external-systems',
    summary: 'External systems of the tenant (approval admins)',
    responses: { 200: json(z.object({ items: z.array(SystemSchema) }), 'systems'), ...errorResponses },
  }),
  register: createRoute({
    ...admin,
    method: 'post',
    path: '/approvals/external-systems',
    summary: 'Register an external system; answers its secret once',
    request: body(z.object({ name: z.string().min(1).max(60), webhookUrl: z.string().max(2000) })),
    responses: { 201: json(SystemWithSecret, 'registered'), ...errorResponses },
  }),
  update: createRoute({
    ...admin,
    method: 'patch',
    path: '/approvals/external-systems/{id}',
    summary: 'Rename, change the webhook URL, or switch a system off',
    request: {
      params: SystemIdParam,
      ...body(
        z.object({
          name: z.string().min(1).max(60).optional(),
          webhookUrl: z.string().max(2000).optional(),
          active: z.boolean().optional(),
        }),
      ),
    },
    responses: { 200: json(SystemSchema, 'updated'), ...errorResponses },
  }),
  rotate: createRoute({
    ...admin,
    method: 'post',
    path: '/approvals/external-systems/{id}/rotate-secret',
    summary: 'Issue a new secret (shown once); the old one verifies calls for 24 h more',
    request: { params: SystemIdParam },
    responses: { 200: json(SystemWithSecret, 'rotated'), ...errorResponses },
  }),
  deliveries: createRoute({
    ...admin,
    method: 'get',
    path: '/approvals/external-systems/{id}/deliveries',
    summary: 'Webhook deliveries with every attempt (status code, error)',
    request: {
      params: SystemIdParam,
      query: z.object({
        status: z.enum(['pending', 'delivered', 'failed']).optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
      }),
    },
    responses: { 200: json(z.object({ items: z.array(DeliverySchema) }), 'deliveries'), ...errorResponses },
  }),
  redeliver: createRoute({
    ...admin,
    method: 'post',
    path: '/approvals/external-systems/{id}/deliveries/{deliveryId}/redeliver',
    summary: 'Send a failed event once more',
    request: { params: SystemIdParam.extend({ deliveryId: z.string().min(1).max(64) }) },
    responses: { 202: json(z.object({ queued: z.literal(true) }), 'queued'), ...errorResponses },
  }),
}

/**
 * Documents the `approval.finished` webhook under the OpenAPI document's top-level `webhooks` (registered on
 * the root app: a mounted sub-app's webhooks would get the mount path as a prefix).
 */
export function documentApprovalWebhooks(root: OpenAPIHono<AppEnv>): void {
  root.openAPIRegistry.registerWebhook({
    method: 'post',
    path: 'approval.finished',
    summary: 'An externally started approval ended (sent to the system webhook URL)',
    description:
      'Signed like the API calls (X-Flowcard-Timestamp, X-Flowcard-Nonce, X-Flowcard-Signature) and carries X-Flowcard-Event-Id and X-Flowcard-Attempt. Any 2xx acknowledges; anything else (or no answer within 10 s) is retried after 30 s, 1 min, 2 min, … up to 10 attempts, then marked failed for the admin. Deliveries are at least once: dedupe on the event id.',
    request: { body: { content: { 'application/json': { schema: FinishedEventSchema } } } },
    responses: { 200: { description: 'acknowledged' } },
  })
}

/** The signed external-approvals API and its admin side, under `/api/v1`. */
export function externalApprovalRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>()
  app.openAPIRegistry.registerComponent('securitySchemes', 'externalSignature', {
    type: 'apiKey',
    in: 'header',
    name: SIGNATURE_HEADERS.signature,
    description:
      'HMAC-SHA256 with the system secret over `<timestamp>.<nonce>.<raw body>`, hex, prefixed `v1=`; with X-Flowcard-System, X-Flowcard-Timestamp (unix seconds, ±300 s) and X-Flowcard-Nonce (single use). Webhooks to the system are signed the same way and carry X-Flowcard-Event-Id and X-Flowcard-Attempt.',
  })
  app.openapi(signedRoutes.start, async (c) => {
    const system = systemOf(c)
    const key = c.req.header(SIGNATURE_HEADERS.idempotencyKey)
    const { view, replayed } = await startExternalApproval({
      ctx: systemContext(c, system),
      system,
      input: c.req.valid('json'),
      ...(key !== undefined ? { idempotencyKey: key } : {}),
    })
    return c.json(statusDto(view, null), replayed ? 200 : 201)
  })
  app.openapi(signedRoutes.get, async (c) => {
    const system = systemOf(c)
    const { view, webhook } = await getExternalApproval({
      ctx: systemContext(c, system),
      system,
      externalId: c.req.valid('param').externalId,
    })
    return c.json(statusDto(view, webhook), 200)
  })
  app.openapi(signedRoutes.cancel, async (c) => {
    const system = systemOf(c)
    const view = await cancelExternalApproval({
      ctx: systemContext(c, system),
      system,
      externalId: c.req.valid('param').externalId,
      comment: c.req.valid('json').comment,
    })
    return c.json(statusDto(view, null), 200)
  })
  app.openapi(signedRoutes.template, async (c) => {
    const system = systemOf(c)
    const result = await registerExternalTemplate({
      ctx: systemContext(c, system),
      system,
      key: c.req.valid('param').key,
      input: c.req.valid('json'),
    })
    return c.json(result, 200)
  })

  app.openapi(adminRoutes.list, async (c) =>
    c.json({ items: await listExternalSystems({ ctx: apiContext(c) }) }, 200),
  )
  app.openapi(adminRoutes.register, async (c) =>
    c.json(await registerExternalSystem({ ctx: apiContext(c), input: c.req.valid('json') }), 201),
  )
  app.openapi(adminRoutes.update, async (c) => {
    const b = c.req.valid('json')
    const system = await updateExternalSystem({
      ctx: apiContext(c),
      input: {
        systemId: c.req.valid('param').id,
        ...(b.name !== undefined ? { name: b.name } : {}),
        ...(b.webhookUrl !== undefined ? { webhookUrl: b.webhookUrl } : {}),
        ...(b.active !== undefined ? { active: b.active } : {}),
      },
    })
    return c.json(system, 200)
  })
  app.openapi(adminRoutes.rotate, async (c) =>
    c.json(
      await rotateExternalSecret({ ctx: apiContext(c), input: { systemId: c.req.valid('param').id } }),
      200,
    ),
  )
  app.openapi(adminRoutes.deliveries, async (c) => {
    const q = c.req.valid('query')
    const items = await listWebhookDeliveries({
      ctx: apiContext(c),
      input: { systemId: c.req.valid('param').id, limit: q.limit, ...(q.status ? { status: q.status } : {}) },
    })
    return c.json({ items: items as Array<z.infer<typeof DeliverySchema>> }, 200)
  })
  app.openapi(adminRoutes.redeliver, async (c) => {
    const p = c.req.valid('param')
    await redeliverWebhook({ ctx: apiContext(c), input: { systemId: p.id, deliveryId: p.deliveryId } })
    return c.json({ queued: true as const }, 202)
  })
  return app
}
