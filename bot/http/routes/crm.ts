import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import {
  addContact,
  addVisitPhoto,
  assignCustomer,
  assignInput,
  checkInInput,
  checkInVisit,
  checkOutInput,
  checkOutVisit,
  claimCustomer,
  contactInput,
  createCustomer,
  createCustomerInput,
  createFollowUp,
  customFieldDefInput,
  defineCustomField,
  exportRecords,
  extendReclaim,
  findCustomersElsewhere,
  followUpInput,
  getCrmRules,
  getCustomer,
  getCustomerCard,
  getFieldHistory,
  getImportJob,
  getRelationGraph,
  getVisitPhoto,
  linkCustomers,
  listContacts,
  listCustomFields,
  listFollowUps,
  listVisits,
  MAX_IMPORT_BYTES,
  nearbyCustomers,
  nearbyInput,
  planVisit,
  planVisitInput,
  relationInput,
  releaseCustomer,
  rulesInput,
  searchCustomers,
  searchInput,
  startImport,
  updateCrmRules,
  updateCustomer,
  updateCustomerInput,
  visitMap,
  visitMapInput,
} from '../../domain/crm'
import { DomainError, InvalidInputError, NotFoundError } from '../../domain/errors'
import type { Geocoder } from '../../lib/geocoder'
import { verifyBlobLink } from '../../lib/storage/signed-link'
import type { BlobStorage } from '../../lib/storage/types'
import { imageOk, sendImage } from '../images'
import { enforceUserBudget } from '../middleware/rate-limit'
import { apiContext } from '../middleware/session'
import { errorResponses } from '../schemas'
import type { AppEnv } from '../types'
import {
  CrmCheckIn,
  CrmContact,
  CrmCustomer,
  CrmCustomerCard,
  CrmCustomerHit,
  CrmCustomField,
  CrmFieldChange,
  CrmFollowUp,
  CrmImportJob,
  CrmNearbyCustomer,
  CrmRelationEdge,
  CrmRelationGraph,
  CrmRulesOut,
  CrmVisit,
  CrmVisitMap,
  itemsOf,
  toCard,
  toContact,
  toCustomField,
  toFollowUp,
  toImportJob,
  toRules,
  toVisit,
} from './crm-schemas'
import { body, idParam, ok, routeFor } from './openapi'

const route = routeFor('crm')

const CrmCustomerElsewhere = z
  .object({
    name: z.string(),
    owner: z.object({ name: z.string(), department: z.string().nullable() }),
  })
  .openapi('CrmCustomerElsewhere')

const secretOf = (c: Context<AppEnv>): string => c.get('deps').sessionSecret

const CrmGeocodeStatus = z
  .object({ configured: z.boolean().openapi({ description: 'Whether address lookup is available' }) })
  .openapi('CrmGeocodeStatus')
const CrmGeoMatch = z
  .object({
    lat: z.number(),
    lng: z.number(),
    address: z.string(),
    districtCode: z.string().nullable(),
  })
  .openapi('CrmGeoMatch')
const geocodeQuery = z.object({
  address: z.string().trim().min(2, 'address is too short').max(300),
  city: z.string().trim().max(60).optional(),
})

function geocoderOf(c: Context<AppEnv>): Geocoder {
  const geocoder = c.get('deps').geocoder
  // Not a server fault: this company has chosen no map service (409, like any request its settings refuse).
  if (!geocoder)
    throw new DomainError(
      'conflict',
      '未配置地图服务，请在现场使用当前位置 / address lookup is not configured; use your current location on site',
      { field: 'address' },
    )
  return geocoder
}

/** The address of a check-in point when a geocoder is configured; a lookup failure leaves it empty. */
async function reverseGeocode(
  c: Context<AppEnv>,
  point: { lat: number; lng: number },
): Promise<string | null> {
  const geocoder = c.get('deps').geocoder
  if (!geocoder) return null
  try {
    return (await geocoder.reverse(point, { signal: AbortSignal.timeout(3000) }))?.slice(0, 300) ?? null
  } catch (err) {
    c.get('logger').warn({ err }, 'reverse geocoding failed; check-in kept without an address')
    return null
  }
}

async function readUpload(raw: ArrayBuffer, max: number): Promise<Uint8Array> {
  if (raw.byteLength > max) throw new InvalidInputError('file', `file exceeds ${max} bytes`)
  return new Uint8Array(raw)
}

/**
 * The CRM API under `/api/v1/crm`: customers, the pool, contacts, follow-ups, visits with check-in,
 * relations, the customer card, rules, custom fields, import and export. Every call runs in the caller's
 * data scope; records outside it answer 404.
 */
export function crmRoutes(options: { storage?: BlobStorage } = {}): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>()

  app.openapi(
    route(
      'get',
      '/crm/customers',
      'Search or list customers (name, short name, pinyin, initials, phone, contact)',
      {
        request: { query: searchInput },
        responses: ok(itemsOf(CrmCustomerHit, 'CrmCustomerHits'), 'Matching customers, best first'),
      },
    ),
    async (c) =>
      c.json({ items: await searchCustomers({ ctx: apiContext(c), input: c.req.valid('query') }) }, 200),
  )
  app.openapi(
    route('get', '/crm/geocode/status', 'Whether address lookup (a map service) is configured', {
      responses: ok(CrmGeocodeStatus),
    }),
    async (c) => c.json({ configured: Boolean(c.get('deps').geocoder) }, 200),
  )
  app.openapi(
    route(
      'get',
      '/crm/geocode',
      "An address's location (409 when no map service is configured, 503 when it does not answer)",
      {
        request: { query: geocodeQuery },
        responses: ok(CrmGeoMatch, 'The best match; 404 when the address is not found'),
      },
    ),
    async (c) => {
      const geocoder = geocoderOf(c)
      await enforceUserBudget(c, 'geocode')
      const q = c.req.valid('query')
      let match: Awaited<ReturnType<Geocoder['geocode']>>
      try {
        match = await geocoder.geocode(q.address, { city: q.city ?? null, signal: AbortSignal.timeout(5000) })
      } catch (err) {
        c.get('logger').warn({ err }, 'geocoding failed')
        throw new DomainError(
          'unavailable',
          '地图服务暂时无响应，请稍后重试或使用当前位置 / the map service did not answer; try again or use your current location',
          { field: 'address' },
        )
      }
      if (!match)
        throw new DomainError(
          'not_found',
          `没有找到「${q.address}」的位置 / no location found for "${q.address}"`,
          {
            field: 'address',
          },
        )
      return c.json(match, 200)
    },
  )
  app.openapi(
    route(
      'get',
      '/crm/customers/elsewhere',
      'Customers matching a search that are outside your data scope: name and owner only, to know whom to ask',
      {
        request: { query: z.object({ q: z.string().max(100) }) },
        responses: ok(itemsOf(CrmCustomerElsewhere, 'CrmCustomersElsewhere'), 'At most three, by name'),
      },
    ),
    async (c) =>
      c.json(
        { items: await findCustomersElsewhere({ ctx: apiContext(c), input: c.req.valid('query') }) },
        200,
      ),
  )
  app.openapi(
    route('post', '/crm/customers', 'Create a customer (409 with the owner to ask when it is a duplicate)', {
      request: body(createCustomerInput),
      responses: ok(CrmCustomer),
    }),
    async (c) => c.json(await createCustomer({ ctx: apiContext(c), input: c.req.valid('json') }), 200),
  )
  app.openapi(
    route('get', '/crm/customers/{id}', 'One customer', {
      request: { params: idParam },
      responses: ok(CrmCustomer),
    }),
    async (c) => c.json(await getCustomer({ ctx: apiContext(c), customerId: c.req.valid('param').id }), 200),
  )
  app.openapi(
    route('patch', '/crm/customers/{id}', 'Edit a customer (changes go to the field history)', {
      request: { params: idParam, ...body(updateCustomerInput) },
      responses: ok(CrmCustomer),
    }),
    async (c) =>
      c.json(
        await updateCustomer({
          ctx: apiContext(c),
          customerId: c.req.valid('param').id,
          input: c.req.valid('json'),
        }),
        200,
      ),
  )
  app.openapi(
    route(
      'get',
      '/crm/customers/{id}/card',
      'The customer card: customer, contacts, follow-ups, visits, relations, timeline',
      {
        request: { params: idParam },
        responses: ok(CrmCustomerCard),
      },
    ),
    async (c) => {
      const ctx = apiContext(c)
      return c.json(
        await toCard(
          secretOf(c),
          ctx.tenantId,
          await getCustomerCard({ ctx, customerId: c.req.valid('param').id }),
        ),
        200,
      )
    },
  )
  app.openapi(
    route('get', '/crm/customers/{id}/history', 'Field history of a customer', {
      request: { params: idParam },
      responses: ok(itemsOf(CrmFieldChange, 'CrmFieldHistory')),
    }),
    async (c) =>
      c.json(
        { items: await getFieldHistory({ ctx: apiContext(c), customerId: c.req.valid('param').id }) },
        200,
      ),
  )
  app.openapi(
    route('get', '/crm/customers/{id}/relations', 'Relation graph around a customer (depth 1 or 2)', {
      request: {
        params: idParam,
        query: z.object({ depth: z.coerce.number().int().min(1).max(2).default(2) }),
      },
      responses: ok(CrmRelationGraph),
    }),
    async (c) =>
      c.json(
        await getRelationGraph({
          ctx: apiContext(c),
          customerId: c.req.valid('param').id,
          depth: c.req.valid('query').depth,
        }),
        200,
      ),
  )
  app.openapi(
    route(
      'post',
      '/crm/customers/{id}/relations',
      'Link two customers (supplier, distributor, parent, partner)',
      {
        request: { params: idParam, ...body(relationInput) },
        responses: ok(CrmRelationEdge),
      },
    ),
    async (c) =>
      c.json(
        await linkCustomers({
          ctx: apiContext(c),
          customerId: c.req.valid('param').id,
          input: c.req.valid('json'),
        }),
        200,
      ),
  )
  app.openapi(
    route('get', '/crm/customers/{id}/contacts', 'Contacts of a customer', {
      request: { params: idParam },
      responses: ok(itemsOf(CrmContact, 'CrmContacts')),
    }),
    async (c) => {
      const rows = await listContacts({ ctx: apiContext(c), customerId: c.req.valid('param').id })
      return c.json({ items: rows.map(toContact) }, 200)
    },
  )
  app.openapi(
    route('post', '/crm/customers/{id}/contacts', 'Add a contact with their role in decisions', {
      request: { params: idParam, ...body(contactInput) },
      responses: ok(CrmContact),
    }),
    async (c) =>
      c.json(
        toContact(
          await addContact({
            ctx: apiContext(c),
            customerId: c.req.valid('param').id,
            input: c.req.valid('json'),
          }),
        ),
        200,
      ),
  )
  app.openapi(
    route('get', '/crm/customers/{id}/follow-ups', 'Follow-ups of a customer, newest first', {
      request: { params: idParam },
      responses: ok(itemsOf(CrmFollowUp, 'CrmFollowUps')),
    }),
    async (c) => {
      const rows = await listFollowUps({ ctx: apiContext(c), customerId: c.req.valid('param').id })
      return c.json({ items: rows.map(toFollowUp) }, 200)
    },
  )
  app.openapi(
    route(
      'post',
      '/crm/customers/{id}/follow-ups',
      'Log a follow-up (a next time schedules a reminder card)',
      {
        request: { params: idParam, ...body(followUpInput) },
        responses: ok(CrmFollowUp),
      },
    ),
    async (c) =>
      c.json(
        toFollowUp(
          await createFollowUp({
            ctx: apiContext(c),
            customerId: c.req.valid('param').id,
            input: c.req.valid('json'),
          }),
        ),
        200,
      ),
  )
  app.openapi(
    route('get', '/crm/customers/{id}/visits', 'Visits of a customer, newest first', {
      request: { params: idParam },
      responses: ok(itemsOf(CrmVisit, 'CrmVisits')),
    }),
    async (c) =>
      c.json(
        {
          items: await Promise.all(
            (await listVisits({ ctx: apiContext(c), customerId: c.req.valid('param').id })).map((v) =>
              toVisit(secretOf(c), v),
            ),
          ),
        },
        200,
      ),
  )
  for (const [verb, summary, fn] of [
    ['claim', 'Claim a pool customer (per-rep limit, re-claim cooldown)', claimCustomer],
    ['release', 'Release a customer to the pool', releaseCustomer],
    ['extend', 'Extend the reclaim deadline once (the owner)', extendReclaim],
  ] as const) {
    app.openapi(
      route('post', `/crm/customers/{id}/${verb}`, summary, {
        request: { params: idParam },
        responses: ok(CrmCustomer),
      }),
      async (c) => c.json(await fn({ ctx: apiContext(c), customerId: c.req.valid('param').id }), 200),
    )
  }
  app.openapi(
    route('post', '/crm/customers/{id}/assign', 'Assign or reassign a customer (managers)', {
      request: { params: idParam, ...body(assignInput) },
      responses: ok(CrmCustomer),
    }),
    async (c) =>
      c.json(
        await assignCustomer({
          ctx: apiContext(c),
          customerId: c.req.valid('param').id,
          input: c.req.valid('json'),
        }),
        200,
      ),
  )
  app.openapi(
    route('get', '/crm/nearby', 'Workable customers nearest to a point (check-in suggestions)', {
      request: { query: nearbyInput },
      responses: ok(itemsOf(CrmNearbyCustomer, 'CrmNearbyCustomers')),
    }),
    async (c) =>
      c.json({ items: await nearbyCustomers({ ctx: apiContext(c), input: c.req.valid('query') }) }, 200),
  )
  app.openapi(
    route('post', '/crm/visits', 'Plan a visit', { request: body(planVisitInput), responses: ok(CrmVisit) }),
    async (c) =>
      c.json(
        await toVisit(secretOf(c), await planVisit({ ctx: apiContext(c), input: c.req.valid('json') })),
        200,
      ),
  )
  app.openapi(
    route(
      'get',
      '/crm/visits/map',
      "The team's checked-in visits in a period, with coordinates (data-scoped)",
      {
        request: { query: visitMapInput },
        responses: ok(CrmVisitMap),
      },
    ),
    async (c) => c.json(await visitMap({ ctx: apiContext(c), input: c.req.valid('query') }), 200),
  )
  app.openapi(
    route(
      'post',
      '/crm/visits/check-in',
      'Check in (idempotent by clientKey; offline check-ins keep their time and place)',
      {
        request: body(checkInInput),
        responses: ok(CrmCheckIn),
      },
    ),
    async (c) => {
      const input = c.req.valid('json')
      const address = input.address ?? (await reverseGeocode(c, input))
      const { visit, replayed } = await checkInVisit({
        ctx: apiContext(c),
        input: address ? { ...input, address } : input,
      })
      return c.json({ visit: await toVisit(secretOf(c), visit), replayed }, 200)
    },
  )
  app.openapi(
    route('post', '/crm/visits/{id}/check-out', 'Check out with a summary', {
      request: { params: idParam, ...body(checkOutInput) },
      responses: ok(CrmVisit),
    }),
    async (c) =>
      c.json(
        await toVisit(
          secretOf(c),
          await checkOutVisit({
            ctx: apiContext(c),
            visitId: c.req.valid('param').id,
            input: c.req.valid('json'),
          }),
        ),
        200,
      ),
  )
  app.openapi(
    route(
      'post',
      '/crm/visits/{id}/photos',
      'Add a photo (raw image body: image/jpeg, png, webp, heic; ≤ 10 MB)',
      {
        request: {
          params: idParam,
          query: z.object({ name: z.string().max(200).default('photo') }),
          body: { content: { 'image/jpeg': { schema: z.string().openapi({ format: 'binary' }) } } },
        },
        responses: ok(CrmVisit),
      },
    ),
    async (c) => {
      if (!options.storage) throw new InvalidInputError('file', 'photo storage is not configured')
      const data = await readUpload(await c.req.arrayBuffer(), 10 * 1024 * 1024)
      const contentType = (c.req.header('content-type') ?? '').split(';')[0]?.trim() ?? ''
      const visit = await addVisitPhoto({
        ctx: apiContext(c),
        storage: options.storage,
        visitId: c.req.valid('param').id,
        file: { name: c.req.valid('query').name, contentType, data },
      })
      return c.json(await toVisit(secretOf(c), visit), 200)
    },
  )
  app.openapi(
    route(
      'get',
      '/crm/visits/{id}/photos/{name}',
      'A photo of a visit (the bytes, from the configured store)',
      {
        request: { params: idParam.extend({ name: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/) }) },
        responses: {
          200: imageOk('the image'),
          ...errorResponses,
        },
      },
    ),
    async (c) => {
      if (!options.storage) throw new NotFoundError('photo', c.req.valid('param').name)
      const { id, name } = c.req.valid('param')
      const photo = await getVisitPhoto({ ctx: apiContext(c), storage: options.storage, visitId: id, name })
      return sendImage(c, photo) as never
    },
  )
  app.openapi(
    createRoute({
      method: 'get',
      path: '/crm/files/{token}/{name}',
      summary: 'A stored photo by its signed link (the `url` of a visit photo; no session needed, expires)',
      tags: ['crm'],
      request: {
        params: z.object({
          token: z.string().min(10).max(1000),
          name: z.string().regex(/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}$/),
        }),
      },
      responses: {
        200: imageOk('the file'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { token, name } = c.req.valid('param')
      // The token grants one folder (a visit's photos); the name picks the file in it.
      const folder = await verifyBlobLink(secretOf(c), token)
      // Only a visit's folder: ticket photos are served one by one by their own links (service routes).
      const key =
        folder?.endsWith('/') && /^[^/]+\/visits\//.test(folder) && !name.startsWith('.')
          ? folder + name
          : null
      // A bad or expired link and a missing object answer alike: nothing to learn from probing.
      const blob = key && options.storage ? await options.storage.getStream(key) : null
      if (!blob) throw new NotFoundError('file')
      return sendImage(c, blob) as never
    },
  )
  app.openapi(
    route('get', '/crm/rules', 'Pool rules and check-in threshold of the tenant', {
      responses: ok(CrmRulesOut),
    }),
    async (c) => c.json(toRules(await getCrmRules({ ctx: apiContext(c) })), 200),
  )
  app.openapi(
    route('put', '/crm/rules', 'Save pool rules and check-in threshold (admins)', {
      request: body(rulesInput),
      responses: ok(CrmRulesOut),
    }),
    async (c) =>
      c.json(toRules(await updateCrmRules({ ctx: apiContext(c), input: c.req.valid('json') })), 200),
  )
  app.openapi(
    route('get', '/crm/custom-fields', 'Custom field definitions of the tenant', {
      responses: ok(itemsOf(CrmCustomField, 'CrmCustomFields')),
    }),
    async (c) => c.json({ items: (await listCustomFields({ ctx: apiContext(c) })).map(toCustomField) }, 200),
  )
  app.openapi(
    route('post', '/crm/custom-fields', 'Define a typed custom field (admins)', {
      request: body(customFieldDefInput),
      responses: ok(CrmCustomField),
    }),
    async (c) =>
      c.json(toCustomField(await defineCustomField({ ctx: apiContext(c), input: c.req.valid('json') })), 200),
  )
  app.openapi(
    route(
      'post',
      '/crm/imports',
      'Upload a CSV/XLSX file of customers, contacts or leads (lead managers); processed as a job with progress',
      {
        request: {
          query: z.object({
            entity: z.enum(['customers', 'contacts', 'leads']),
            format: z.enum(['csv', 'xlsx']),
            mode: z.enum(['per_row', 'atomic']).default('per_row'),
            name: z.string().max(200).optional(),
          }),
          body: { content: { 'text/csv': { schema: z.string().openapi({ format: 'binary' }) } } },
        },
        responses: ok(CrmImportJob),
      },
    ),
    async (c) => {
      await enforceUserBudget(c, 'import')
      const q = c.req.valid('query')
      const data = await readUpload(await c.req.arrayBuffer(), MAX_IMPORT_BYTES)
      const job = await startImport({
        ctx: apiContext(c),
        input: {
          entity: q.entity,
          format: q.format,
          mode: q.mode,
          data,
          ...(q.name ? { fileName: q.name } : {}),
        },
      })
      return c.json(toImportJob(job), 200)
    },
  )
  app.openapi(
    route('get', '/crm/imports/{id}', 'An import job: progress and per-row report', {
      request: { params: idParam },
      responses: ok(CrmImportJob),
    }),
    async (c) =>
      c.json(toImportJob(await getImportJob({ ctx: apiContext(c), jobId: c.req.valid('param').id })), 200),
  )
  app.openapi(
    route('get', '/crm/export', 'Export customers or contacts in your scope as CSV or XLSX', {
      request: {
        query: z.object({
          entity: z.enum(['customers', 'contacts']),
          format: z.enum(['csv', 'xlsx']).default('csv'),
        }),
      },
      responses: {
        200: { description: 'the file', content: { 'text/csv': { schema: z.string() } } },
        ...errorResponses,
      },
    }),
    async (c) => {
      await enforceUserBudget(c, 'export')
      const q = c.req.valid('query')
      const file = await exportRecords({ ctx: apiContext(c), entity: q.entity, format: q.format })
      return c.body(file.data as unknown as ArrayBuffer, 200, {
        'content-type': file.contentType,
        'content-disposition': `attachment; filename="${file.fileName}"`,
      }) as never
    },
  )
  return app
}
