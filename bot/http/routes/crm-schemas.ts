import { z } from '@hono/zod-openapi'
import {
  customFieldTypeEnum,
  decisionRoleEnum,
  followUpKindEnum,
  relationKindEnum,
  visitStatusEnum,
} from '../../../db/schema'
import type {
  ContactRow,
  CrmRules,
  CustomerCard,
  CustomerDto,
  CustomerHit,
  CustomFieldDef,
  FieldChange,
  FollowUpRow,
  ImportJobDto,
  NearbyCustomer,
  RelationEdge,
  RelationGraph,
  TimelineEntry,
  VisitDto,
  VisitMap,
} from '../../domain/crm'
import { signBlobLink } from '../../lib/storage/signed-link'
import { SalesContract, SalesOpportunity, SalesPayment } from './sales-schemas'
import { TicketSchema, withPhotoLinks } from './service-schemas'

/**
 * Response schemas of `/api/v1/crm/*`, written after the domain DTOs (`bot/domain/crm/dto.ts`, `visits.ts`,
 * `get-customer-card.ts`, …). The `Same<…>` checks at the bottom fail to compile when a DTO and its schema
 * drift apart, and the mini-app's client types are generated from these (`npm run gen:api -w miniapp`).
 * Rows that the domain returns as database rows (contacts, follow-ups, custom fields, import jobs, rules) go
 * out through the `to…` mappers here, so internal columns (tenant id, file bytes, reminder bookkeeping) stay in.
 */

/**
 * A registered (named) schema or null. `Named.nullable()` loses the null in the document with this
 * zod-to-openapi (it writes the bare `$ref`), so the union is spelled out: `anyOf: [$ref, {type: null}]`.
 */
const orNull = <T extends z.ZodType>(schema: T) => z.union([schema, z.null()])

const iso = z.string().openapi({ format: 'date-time', example: '2026-05-01T08:30:00.000Z' })
const isoOrNull = iso.nullable()

export const CrmUserLabel = z
  .object({ id: z.string(), name: z.string(), department: z.string().nullable() })
  .openapi('CrmUserLabel')
export const CrmPerson = z.object({ id: z.string(), name: z.string() }).openapi('CrmPerson')

export const CrmCustomer = z
  .object({
    id: z.string(),
    name: z.string(),
    shortName: z.string().nullable(),
    creditCode: z.string().nullable(),
    phone: z.string().nullable(),
    industry: z.string().nullable(),
    scale: z.string().nullable(),
    tier: z.string().nullable(),
    tags: z.array(z.string()),
    provinceCode: z.string().nullable(),
    cityCode: z.string().nullable(),
    districtCode: z.string().nullable(),
    region: z.string().openapi({ description: 'Region label, e.g. 上海市 浦东新区' }),
    address: z.string().nullable(),
    lat: z.number().nullable(),
    lng: z.number().nullable(),
    source: z.string().nullable(),
    customFields: z.record(z.string(), z.unknown()),
    owner: orNull(CrmUserLabel),
    inPool: z.boolean(),
    lastFollowedUpAt: isoOrNull,
    reclaimDueAt: isoOrNull,
    version: z.number().int(),
    createdAt: iso,
    updatedAt: iso,
  })
  .openapi('CrmCustomer', {
    description: 'A customer: fields, region codes and label, geo point, owner, pool state',
  })

export const CrmCustomerHit = z
  .object({
    id: z.string(),
    name: z.string(),
    shortName: z.string().nullable(),
    industry: z.string().nullable(),
    tier: z.string().nullable(),
    region: z.string(),
    owner: orNull(CrmPerson),
    inPool: z.boolean(),
    lastFollowedUpAt: isoOrNull,
  })
  .openapi('CrmCustomerHit')

export const CrmContact = z
  .object({
    id: z.string(),
    customerId: z.string(),
    name: z.string(),
    title: z.string().nullable(),
    phone: z.string().nullable(),
    email: z.string().nullable(),
    wechat: z.string().nullable(),
    decisionRole: z.enum(decisionRoleEnum.enumValues),
    isPrimary: z.boolean(),
    notes: z.string().nullable(),
    createdAt: iso,
    updatedAt: iso,
  })
  .openapi('CrmContact')

export const CrmFollowUp = z
  .object({
    id: z.string(),
    customerId: z.string(),
    contactId: z.string().nullable(),
    authorId: z.string().nullable(),
    kind: z.enum(followUpKindEnum.enumValues),
    content: z.string(),
    nextFollowUpAt: isoOrNull,
    createdAt: iso,
  })
  .openapi('CrmFollowUp')

export const CrmFollowUpWithAuthor = CrmFollowUp.extend({ author: orNull(CrmPerson) }).openapi(
  'CrmFollowUpWithAuthor',
)

export const CrmVisitPhoto = z
  .object({
    key: z.string(),
    name: z.string(),
    contentType: z.string(),
    size: z.number().int(),
    url: z.string().openapi({
      description:
        'Signed link to the image for an <img src>, valid for at least an hour; with a session the photo is also at /api/v1/crm/visits/{id}/photos/{last segment of key}',
      example: '/api/v1/crm/files/f1.dF8xL3Zpc2l0cy92aXNfMS8.1767225600.c2ln/pho_1.jpg',
    }),
  })
  .openapi('CrmVisitPhoto')

export const CrmVisit = z
  .object({
    id: z.string(),
    customerId: z.string(),
    userId: z.string(),
    status: z.enum(visitStatusEnum.enumValues),
    plannedAt: isoOrNull,
    purpose: z.string().nullable(),
    checkInAt: isoOrNull,
    checkInLat: z.number().nullable(),
    checkInLng: z.number().nullable(),
    checkInAddress: z.string().nullable(),
    checkInDistanceM: z.number().nullable(),
    checkInFlagged: z.boolean(),
    checkOutAt: isoOrNull,
    photos: z.array(CrmVisitPhoto),
    summary: z.string().nullable(),
    clientKey: z.string().nullable(),
    createdAt: iso,
  })
  .openapi('CrmVisit')

export const CrmCheckIn = z.object({ visit: CrmVisit, replayed: z.boolean() }).openapi('CrmCheckIn', {
  description: 'replayed: true when the clientKey was seen before (the first check-in)',
})

export const CrmRelationEdge = z
  .object({
    id: z.string(),
    from: z.string(),
    to: z.string(),
    kind: z.enum(relationKindEnum.enumValues),
    note: z.string().nullable(),
  })
  .openapi('CrmRelationEdge')

export const CrmRelationGraph = z
  .object({
    root: z.string(),
    nodes: z.array(z.object({ id: z.string(), name: z.string(), depth: z.number().int() })),
    edges: z.array(CrmRelationEdge),
  })
  .openapi('CrmRelationGraph')

export const CrmTimelineEntry = z
  .object({
    at: iso,
    kind: z.enum(['follow_up', 'visit', 'change', 'created', 'opportunity', 'contract', 'payment', 'ticket']),
    id: z.string(),
    actor: orNull(CrmPerson),
    title: z.string(),
    detail: z.string().nullable(),
  })
  .openapi('CrmTimelineEntry')

export const CrmCustomerCard = z
  .object({
    customer: CrmCustomer,
    collaborators: z.array(CrmUserLabel),
    contacts: z.array(CrmContact),
    followUps: z.array(CrmFollowUpWithAuthor),
    visits: z.array(CrmVisit.extend({ visitor: orNull(CrmPerson) }).openapi('CrmCardVisit')),
    relations: CrmRelationGraph,
    timeline: z.array(CrmTimelineEntry),
    opportunities: z.array(SalesOpportunity),
    contracts: z.array(SalesContract),
    payments: z.array(SalesPayment),
    approvals: z.array(z.unknown()).openapi({ description: 'Filled by a later issue' }),
    service: z
      .object({
        openCount: z.number().int(),
        recent: z.array(TicketSchema),
        lastRating: z.object({ rating: z.number().int(), at: z.string(), number: z.string() }).nullable(),
      })
      .openapi('CrmCustomerService'),
  })
  .openapi('CrmCustomerCard', { description: 'Everything about a customer in one call' })

export const CrmFieldChange = z
  .object({
    field: z.string(),
    oldValue: z.unknown(),
    newValue: z.unknown(),
    actor: orNull(CrmPerson),
    at: iso,
  })
  .openapi('CrmFieldChange')

export const CrmNearbyCustomer = z
  .object({ id: z.string(), name: z.string(), address: z.string().nullable(), distanceM: z.number() })
  .openapi('CrmNearbyCustomer')

export const CrmRulesOut = z
  .object({
    reclaimAfterDays: z.number().int(),
    warnDaysBefore: z.number().int(),
    extendDays: z.number().int(),
    reclaimCooldownDays: z.number().int(),
    claimLimit: z.number().int(),
    checkInFlagMeters: z.number().int(),
    /** 回款审批: payments registered by people wait for approval before they count. */
    paymentApproval: z.boolean(),
  })
  .openapi('CrmRules')

export const CrmCustomField = z
  .object({
    id: z.string(),
    key: z.string(),
    label: z.string(),
    type: z.enum(customFieldTypeEnum.enumValues),
    options: z.array(z.string()),
    required: z.boolean(),
    createdAt: iso,
  })
  .openapi('CrmCustomField')

export const CrmImportJob = z
  .object({
    id: z.string(),
    createdById: z.string().nullable(),
    entity: z.enum(['customers', 'contacts', 'leads']),
    format: z.enum(['csv', 'xlsx']),
    mode: z.enum(['per_row', 'atomic']),
    status: z.enum(['pending', 'running', 'done', 'failed']),
    fileName: z.string().nullable(),
    totalRows: z.number().int(),
    processedRows: z.number().int(),
    okRows: z.number().int(),
    errorRows: z.number().int(),
    errors: z.array(z.object({ row: z.number().int(), field: z.string(), message: z.string() })),
    message: z.string().nullable(),
    createdAt: iso,
    startedAt: isoOrNull,
    finishedAt: isoOrNull,
  })
  .openapi('CrmImportJob', { description: 'Import job: status, progress, per-row errors' })

export const CrmVisitMap = z
  .object({
    from: iso,
    to: iso,
    truncated: z
      .boolean()
      .openapi({ description: 'more visits matched than the limit; the newest are here' }),
    items: z.array(
      z
        .object({
          id: z.string(),
          customerId: z.string(),
          customerName: z.string(),
          user: CrmUserLabel,
          status: z.enum(visitStatusEnum.enumValues),
          checkInAt: iso,
          checkOutAt: isoOrNull,
          lat: z.number(),
          lng: z.number(),
          distanceM: z.number().nullable(),
          flagged: z.boolean(),
        })
        .openapi('CrmVisitMapPoint'),
    ),
  })
  .openapi('CrmVisitMap', {
    description: 'Checked-in visits of the people in your scope, with their check-in point',
  })

export { itemsOf } from './openapi'

// ---- mappers from database rows to the published shapes ----

const isoOf = (d: Date | null): string | null => (d ? d.toISOString() : null)

export const toContact = (r: ContactRow): z.infer<typeof CrmContact> => ({
  id: r.id,
  customerId: r.customerId,
  name: r.name,
  title: r.title,
  phone: r.phone,
  email: r.email,
  wechat: r.wechat,
  decisionRole: r.decisionRole,
  isPrimary: r.isPrimary,
  notes: r.notes,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
})

export const toFollowUp = (r: FollowUpRow): z.infer<typeof CrmFollowUp> => ({
  id: r.id,
  customerId: r.customerId,
  contactId: r.contactId,
  authorId: r.authorId,
  kind: r.kind,
  content: r.content,
  nextFollowUpAt: isoOf(r.nextFollowUpAt),
  createdAt: r.createdAt.toISOString(),
})

export const toCustomField = (r: CustomFieldDef): z.infer<typeof CrmCustomField> => ({
  id: r.id,
  key: r.key,
  label: r.label,
  type: r.type,
  options: r.options,
  required: r.required,
  createdAt: r.createdAt.toISOString(),
})

export const toRules = ({ tenantId: _t, ...rules }: CrmRules): z.infer<typeof CrmRulesOut> => rules

export const toImportJob = (r: ImportJobDto): z.infer<typeof CrmImportJob> => ({
  ...r,
  createdAt: r.createdAt.toISOString(),
  startedAt: isoOf(r.startedAt),
  finishedAt: isoOf(r.finishedAt),
})

/**
 * Where a signed link is served: `GET /api/v1/crm/files/{token}/{name}`. One token covers a folder (a visit's
 * photos), so a card with many photos signs once per visit instead of once per photo.
 */
export const fileUrl = (token: string, name: string): string => `/api/v1/crm/files/${token}/${name}`

/** A visit with a signed link on each photo (see `bot/lib/storage/signed-link.ts`). */
export async function toVisit(secret: string, v: VisitDto): Promise<z.infer<typeof CrmVisit>> {
  if (v.photos.length === 0) return { ...v, photos: [] }
  const tokens = new Map<string, Promise<string>>()
  const photos = await Promise.all(
    v.photos.map(async (p) => {
      const cut = p.key.lastIndexOf('/') + 1
      const folder = p.key.slice(0, cut)
      let token = tokens.get(folder)
      if (!token) {
        token = signBlobLink(secret, folder)
        tokens.set(folder, token)
      }
      return { ...p, url: fileUrl(await token, p.key.slice(cut)) }
    }),
  )
  return { ...v, photos }
}

export const toCard = async (
  secret: string,
  tenantId: string,
  card: CustomerCard,
): Promise<z.infer<typeof CrmCustomerCard>> => ({
  ...card,
  service: {
    ...card.service,
    recent: await Promise.all(card.service.recent.map((t) => withPhotoLinks(secret, tenantId, t))),
  },
  contacts: card.contacts.map(toContact),
  followUps: card.followUps.map((f) => ({ ...toFollowUp(f), author: f.author })),
  visits: await Promise.all(
    card.visits.map(async (v) => ({ ...(await toVisit(secret, v)), visitor: v.visitor })),
  ),
})

// ---- compile-time checks: each DTO is exactly what its schema publishes ----

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const same = <T extends true>(_: T): void => undefined
same<Same<CustomerDto, z.infer<typeof CrmCustomer>>>(true)
same<Same<CustomerHit, z.infer<typeof CrmCustomerHit>>>(true)
same<Same<Omit<VisitDto, 'photos'>, Omit<z.infer<typeof CrmVisit>, 'photos'>>>(true)
same<Same<VisitDto['photos'][number], Omit<z.infer<typeof CrmVisitPhoto>, 'url'>>>(true)
same<Same<RelationGraph, z.infer<typeof CrmRelationGraph>>>(true)
same<Same<RelationEdge, z.infer<typeof CrmRelationEdge>>>(true)
same<Same<TimelineEntry, z.infer<typeof CrmTimelineEntry>>>(true)
same<Same<FieldChange, z.infer<typeof CrmFieldChange>>>(true)
same<Same<NearbyCustomer, z.infer<typeof CrmNearbyCustomer>>>(true)
same<Same<VisitMap, z.infer<typeof CrmVisitMap>>>(true)
