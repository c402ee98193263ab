import { z } from '@hono/zod-openapi'
import { ticketChannels, ticketPriorities, ticketStatuses } from '../../domain/service'
import { signObjectLink } from '../../lib/storage/signed-link'

/** Response schemas of the service API (`bot/domain/service/*` DTOs). */

const sla = z.enum(['none', 'pending', 'met', 'breached'])

export const TicketSchema = z
  .object({
    id: z.string(),
    number: z.string(),
    subject: z.string(),
    description: z.string().nullable(),
    type: z.string(),
    priority: z.enum(ticketPriorities),
    status: z.enum(ticketStatuses),
    channel: z.enum(ticketChannels),
    customerId: z.string().nullable(),
    customerName: z.string().nullable(),
    contactId: z.string().nullable(),
    contractId: z.string().nullable(),
    productId: z.string().nullable(),
    deviceLabel: z.string().nullable(),
    visitId: z.string().nullable(),
    reporterName: z.string().nullable(),
    reporterPhone: z.string().nullable(),
    ownerId: z.string().nullable(),
    ownerName: z.string().nullable(),
    photos: z.array(
      z.object({
        key: z.string(),
        url: z.string().openapi({
          description:
            'Signed link to this one photo for an <img src> (no session; valid for at least an hour, then 403)',
          example: '/api/v1/service/photos/o1.dF8x.dF8xL3NlcnZpY2UvcGhvXzEuanBn.1767225600.c2ln',
        }),
      }),
    ),
    firstResponseDueAt: z.string().nullable(),
    firstRespondedAt: z.string().nullable(),
    responseSla: sla,
    resolutionDueAt: z.string().nullable(),
    resolvedAt: z.string().nullable(),
    resolutionSla: sla,
    resolutionNote: z.string().nullable(),
    rating: z.number().int().nullable(),
    ratingComment: z.string().nullable(),
    statusPath: z.string().openapi({ description: 'the customer’s status link (unguessable)' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('ServiceTicket')

export const TicketPage = z
  .object({ items: z.array(TicketSchema), nextCursor: z.string().nullable() })
  .openapi('ServiceTicketPage')

export const TicketEventSchema = z
  .object({
    id: z.number().int(),
    kind: z.string(),
    actorId: z.string().nullable(),
    actorName: z.string().nullable(),
    body: z.string().nullable(),
    data: z.record(z.string(), z.unknown()),
    internal: z.boolean(),
    at: z.string(),
  })
  .openapi('ServiceTicketEvent')

export const TicketDetailSchema = z
  .object({
    ticket: TicketSchema,
    timeline: z.array(TicketEventSchema),
    canWork: z.boolean(),
    canDispatch: z.boolean(),
  })
  .openapi('ServiceTicketDetail')

const slaTarget = z.object({ responseMinutes: z.number().int(), resolutionMinutes: z.number().int() })
export const ServiceSettingsSchema = z
  .object({
    types: z.array(z.string()),
    sla: z.object({ urgent: slaTarget, high: slaTarget, normal: slaTarget, low: slaTarget }),
    workingHours: z
      .object({ days: z.array(z.number().int()), start: z.string(), end: z.string() })
      .nullable(),
    lowRating: z.number().int(),
    formRateLimit: z.number().int(),
  })
  .openapi('ServiceSettings')

export const DispatchRuleSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    position: z.number().int(),
    active: z.boolean(),
    match: z.record(z.string(), z.unknown()),
    method: z.enum(['round_robin', 'weighted', 'least_open']),
    members: z.array(
      z.object({
        userId: z.string(),
        capacity: z.number().int(),
        name: z
          .string()
          .nullable()
          .optional()
          .openapi({ description: "In lists: the member's name (null when no longer in the tenant)" }),
      }),
    ),
    workingHours: z
      .object({ days: z.array(z.number().int()), start: z.string(), end: z.string() })
      .nullable(),
  })
  .openapi('ServiceDispatchRule')

export const IntakeCodeSchema = z
  .object({
    id: z.string(),
    code: z.string(),
    label: z.string(),
    customerId: z.string().nullable(),
    customerName: z.string().nullable(),
    productId: z.string().nullable(),
    deviceLabel: z.string().nullable(),
    active: z.boolean(),
    path: z.string(),
  })
  .openapi('ServiceIntakeCode')

export const PublicTicketSchema = z
  .object({
    number: z.string(),
    subject: z.string(),
    type: z.string(),
    status: z.string(),
    createdAt: z.string(),
    resolvedAt: z.string().nullable(),
    resolutionNote: z.string().nullable(),
    rating: z.number().int().nullable(),
    canRate: z.boolean(),
    timeline: z.array(
      z.object({
        kind: z.string(),
        at: z.string(),
        body: z.string().nullable(),
        status: z.string().nullable(),
      }),
    ),
  })
  .openapi('ServicePublicTicket')

/** What a service photo link is signed for: it opens on `GET /api/v1/service/photos/{token}` only. */
export const SERVICE_PHOTO_LINK = 'service-photo'

export const servicePhotoUrl = (token: string): string => `/api/v1/service/photos/${token}`

/**
 * A ticket DTO with a signed link per photo (HMAC over purpose, tenant, key and expiry): a link opens that
 * one photo and nothing else, and is handed out only with a ticket the caller may see.
 */
export async function withPhotoLinks<T extends { photos: string[] }>(
  secret: string,
  tenantId: string,
  t: T,
): Promise<Omit<T, 'photos'> & { photos: Array<{ key: string; url: string }> }> {
  return {
    ...t,
    photos: await Promise.all(
      t.photos.map(async (key) => ({
        key,
        url: servicePhotoUrl(await signObjectLink(secret, SERVICE_PHOTO_LINK, tenantId, key)),
      })),
    ),
  }
}
