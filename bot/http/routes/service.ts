import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { ForbiddenError, InvalidInputError, NotFoundError } from '../../domain/errors'
import type { TicketRow } from '../../domain/service'
import {
  acceptTicket,
  assignInput,
  assignTicket,
  commentInput,
  commentTicket,
  createDispatchRule,
  createIntakeCode,
  createTicket,
  createTicketInput,
  deleteDispatchRule,
  dispatchRuleInput,
  externalTicketInput,
  getServiceSettings,
  getTicket,
  intakeCodeInput,
  listDispatchRules,
  listIntakeCodes,
  listTickets,
  onSiteInput,
  planTicketVisit,
  priorityInput,
  rateTicket,
  ratingInput,
  receiveExternalTicket,
  requestHelp,
  serviceSettingsInput,
  setIntakeCodeActive,
  setTicketPriority,
  setTicketStatus,
  statusChangeInput,
  ticketDtos,
  ticketListInput,
  updateServiceSettings,
  uploadTicketPhoto,
} from '../../domain/service'
import { verifyObjectLink } from '../../lib/storage/signed-link'
import { imageOk, sendImage } from '../images'
import { apiContext } from '../middleware/session'
import { errorResponses } from '../schemas'
import type { AppEnv } from '../types'
import { requireSignature, signedErrors, signedHeaders, systemContext, systemOf } from './approvals-external'
import { body, idParam, itemsOf, ok, routeFor } from './openapi'
import {
  DispatchRuleSchema,
  IntakeCodeSchema,
  SERVICE_PHOTO_LINK,
  ServiceSettingsSchema,
  TicketDetailSchema,
  TicketPage,
  TicketSchema,
  withPhotoLinks,
} from './service-schemas'

const route = routeFor('service')

const toRule = ({
  tenantId: _t,
  cursor: _c,
  createdAt: _a,
  updatedAt: _u,
  ...r
}: Awaited<ReturnType<typeof createDispatchRule>> & {
  members: Array<{ userId: string; capacity: number; name?: string | null }>
}) => r

/**
 * The service API under `/api/v1/service` (tickets: list with filters and a cursor, create, detail with
 * timeline, accept, status, comments, assign, help, rate; settings, dispatch rules, intake codes) and the
 * signed intake for hotline/ERP systems (`POST /api/v1/external/service/tickets`, idempotent). Tickets
 * outside the caller's scope answer 404.
 */
export function serviceRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>()
  const secretOf = (c: Context<AppEnv>) => c.get('deps').sessionSecret
  type Ctx = ReturnType<typeof apiContext>
  const one = async (c: Context<AppEnv>, ctx: Ctx, t: TicketRow) => {
    const [dto] = await ticketDtos(ctx, [t])
    return dto && withPhotoLinks(secretOf(c), ctx.tenantId, dto)
  }
  const detail = async (c: Context<AppEnv>, ctx: Ctx, ticketId: string) => {
    const d = await getTicket({ ctx, ticketId })
    return { ...d, ticket: await withPhotoLinks(secretOf(c), ctx.tenantId, d.ticket) }
  }

  app.openapi(
    route(
      'get',
      '/service/tickets',
      'List tickets (status or open, priority, type, owner, customer, breached, q)',
      {
        request: { query: ticketListInput },
        responses: ok(TicketPage),
      },
    ),
    async (c) => {
      const ctx = apiContext(c)
      const page = await listTickets({ ctx, input: c.req.valid('query') })
      const items = await Promise.all(page.items.map((t) => withPhotoLinks(secretOf(c), ctx.tenantId, t)))
      return c.json({ ...page, items }, 200) as never
    },
  )
  app.openapi(
    route(
      'post',
      '/service/tickets',
      'Open a ticket (the dispatch rules pick the engineer unless ownerId is given)',
      {
        request: body(createTicketInput),
        responses: ok(TicketSchema),
      },
    ),
    async (c) => {
      const ctx = apiContext(c)
      return c.json(await one(c, ctx, await createTicket({ ctx, input: c.req.valid('json') })), 200) as never
    },
  )
  app.openapi(
    route('get', '/service/tickets/{id}', 'One ticket with its timeline and what you may do', {
      request: { params: idParam },
      responses: ok(TicketDetailSchema),
    }),
    async (c) => c.json(await detail(c, apiContext(c), c.req.valid('param').id), 200) as never,
  )
  const step = (
    path: string,
    summary: string,
    run: (ctx: ReturnType<typeof apiContext>, id: string, input: unknown) => Promise<TicketRow | unknown>,
    schema?: z.ZodType,
  ) =>
    app.openapi(
      route('post', `/service/tickets/{id}/${path}`, summary, {
        request: { params: idParam, ...(schema ? body(schema) : {}) },
        responses: ok(TicketDetailSchema),
      }),
      async (c) => {
        const ctx = apiContext(c)
        const id = c.req.valid('param').id
        const input = schema ? await c.req.json().catch(() => ({})) : {}
        await run(ctx, id, input)
        return c.json(await detail(c, ctx, id), 200) as never
      },
    )
  step('accept', '接单: the assigned engineer takes the ticket', (ctx, ticketId) =>
    acceptTicket({ ctx, ticketId }),
  )
  step(
    'status',
    'Move the ticket (in_progress, waiting_customer, resolved with a note, closed, rejected with a note, duplicate)',
    (ctx, ticketId, input) => setTicketStatus({ ctx, ticketId, input: input as never }),
    statusChangeInput,
  )
  step(
    'priority',
    'Change the priority (owner or service manager): the running SLA clocks are re-planned for it',
    (ctx, ticketId, input) => setTicketPriority({ ctx, ticketId, input }),
    priorityInput,
  )
  step(
    'comments',
    'Comment (internal comments never reach the customer)',
    (ctx, ticketId, input) => commentTicket({ ctx, ticketId, input: input as never }),
    commentInput,
  )
  step(
    'assign',
    'Dispatch (service manager) or hand over (owner) to a colleague',
    (ctx, ticketId, input) => assignTicket({ ctx, ticketId, input: input as never }),
    assignInput,
  )
  step(
    'help',
    '需要协助: ask the manager for help',
    (ctx, ticketId, input) =>
      requestHelp({ ctx, ticketId, note: (input as { note?: string | null }).note ?? null }),
    z.object({ note: z.string().max(2000).nullish() }),
  )
  step(
    'visit',
    '上门: plan (or answer the open) on-site visit to the customer for the engineer; check-in/out shows on the timeline',
    (ctx, ticketId, input) => planTicketVisit({ ctx, ticketId, input }),
    onSiteInput,
  )
  step(
    'rate',
    'The internal requester rates a resolved ticket (1–5; a low score reopens it)',
    (ctx, ticketId, input) => rateTicket({ ctx, ticketId, input: input as never }),
    ratingInput,
  )

  app.openapi(
    route(
      'post',
      '/service/photos',
      'Upload a photo for a ticket you will open (raw image body: JPEG, PNG, WebP or HEIC; ≤ 5 MB); only you can put its key on a ticket, once',
      {
        request: {
          body: { content: { 'image/jpeg': { schema: z.string().openapi({ format: 'binary' }) } } },
        },
        responses: ok(z.object({ key: z.string(), url: z.string() }).openapi('ServicePhotoUpload')),
      },
    ),
    async (c) => {
      const storage = c.get('deps').storage
      if (!storage) throw new InvalidInputError('photos', 'photos: storage is not configured')
      const ctx = apiContext(c)
      const key = await uploadTicketPhoto({ ctx, storage, data: new Uint8Array(await c.req.arrayBuffer()) })
      const { photos } = await withPhotoLinks(secretOf(c), ctx.tenantId, { photos: [key] })
      return c.json({ key, url: photos[0]?.url ?? '' }, 200) as never
    },
  )
  app.openapi(
    createRoute({
      method: 'get',
      path: '/service/photos/{token}',
      summary:
        'One ticket photo by its signed link (the `url` of a ticket photo; no session; a changed or expired link answers 403)',
      tags: ['service'],
      request: { params: z.object({ token: z.string().min(10).max(1000) }) },
      responses: {
        200: imageOk('the image'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const deps = c.get('deps')
      const grant = await verifyObjectLink(
        deps.sessionSecret,
        SERVICE_PHOTO_LINK,
        c.req.valid('param').token,
        Math.floor(deps.clock.now().getTime() / 1000),
      )
      if (grant === 'expired') throw new ForbiddenError('this photo link has expired; reopen the ticket')
      if (grant === 'invalid' || !grant.key.startsWith(`${grant.tenantId}/service/`))
        throw new ForbiddenError('not a valid photo link')
      const blob = deps.storage ? await deps.storage.getStream(grant.key) : null
      if (!blob) throw new NotFoundError('photo')
      return sendImage(c, blob) as never
    },
  )
  app.openapi(
    route('get', '/service/settings', 'Service settings: types, SLA per priority, working hours', {
      responses: ok(ServiceSettingsSchema),
    }),
    async (c) => c.json(await getServiceSettings({ ctx: apiContext(c) }), 200) as never,
  )
  app.openapi(
    route('put', '/service/settings', 'Change the service settings (service.manage)', {
      request: body(serviceSettingsInput),
      responses: ok(ServiceSettingsSchema),
    }),
    async (c) =>
      c.json(await updateServiceSettings({ ctx: apiContext(c), input: c.req.valid('json') }), 200) as never,
  )
  app.openapi(
    route('get', '/service/rules', 'Dispatch rules in order (service.manage)', {
      responses: ok(itemsOf(DispatchRuleSchema, 'ServiceDispatchRuleList')),
    }),
    async (c) =>
      c.json({ items: (await listDispatchRules({ ctx: apiContext(c) })).map(toRule) }, 200) as never,
  )
  app.openapi(
    route('post', '/service/rules', 'Add a dispatch rule (service.manage)', {
      request: body(dispatchRuleInput),
      responses: ok(DispatchRuleSchema),
    }),
    async (c) =>
      c.json(
        toRule(await createDispatchRule({ ctx: apiContext(c), input: c.req.valid('json') })),
        200,
      ) as never,
  )
  app.openapi(
    route('delete', '/service/rules/{id}', 'Remove a dispatch rule (service.manage)', {
      request: { params: idParam },
      responses: ok(z.object({ ok: z.boolean() })),
    }),
    async (c) => {
      await deleteDispatchRule({ ctx: apiContext(c), ruleId: c.req.valid('param').id })
      return c.json({ ok: true }, 200) as never
    },
  )
  app.openapi(
    route('get', '/service/codes', 'The service form and device QR codes (service.manage)', {
      responses: ok(itemsOf(IntakeCodeSchema, 'ServiceIntakeCodeList')),
    }),
    async (c) => c.json({ items: await listIntakeCodes({ ctx: apiContext(c) }) }, 200) as never,
  )
  app.openapi(
    route('post', '/service/codes', 'A device QR code for a customer (service.manage)', {
      request: body(intakeCodeInput),
      responses: ok(IntakeCodeSchema),
    }),
    async (c) =>
      c.json(await createIntakeCode({ ctx: apiContext(c), input: c.req.valid('json') }), 200) as never,
  )
  app.openapi(
    route('patch', '/service/codes/{id}', 'Switch a service code off or on again (service.manage)', {
      request: { params: idParam, ...body(z.object({ active: z.boolean() })) },
      responses: ok(IntakeCodeSchema),
    }),
    async (c) =>
      c.json(
        await setIntakeCodeActive({
          ctx: apiContext(c),
          codeId: c.req.valid('param').id,
          active: c.req.valid('json').active,
        }),
        200,
      ) as never,
  )

  app.openapi(
    createRoute({
      method: 'post',
      path: '/external/service/tickets',
      summary: 'A ticket from a hotline or ERP system; idempotent by externalId (or Idempotency-Key)',
      tags: ['external service'],
      security: [{ externalSignature: [] }],
      middleware: requireSignature,
      request: {
        headers: signedHeaders.extend({ 'idempotency-key': z.string().max(128).optional() }),
        body: { content: { 'application/json': { schema: externalTicketInput } }, required: true },
      },
      responses: {
        201: {
          description: 'a new ticket',
          content: {
            'application/json': { schema: z.object({ outcome: z.string(), ticket: TicketSchema }) },
          },
        },
        200: {
          description: 'a redelivery: the first ticket',
          content: {
            'application/json': { schema: z.object({ outcome: z.string(), ticket: TicketSchema }) },
          },
        },
        ...signedErrors,
      },
    }),
    async (c) => {
      const system = systemOf(c)
      const ctx = systemContext(c, system)
      const input = c.req.valid('json')
      const externalId = input.externalId ?? c.req.header('idempotency-key')?.trim()
      if (!externalId)
        throw new InvalidInputError('externalId', 'externalId: 需要 externalId 或 Idempotency-Key / required')
      const r = await receiveExternalTicket({ ctx, systemId: system.id, externalId, input })
      return c.json(
        { outcome: r.outcome, ticket: await one(c, ctx, r.ticket) },
        r.outcome === 'created' ? 201 : 200,
      ) as never
    },
  )
  return app
}
