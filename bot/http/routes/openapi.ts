import { createRoute, type RouteConfig, z } from '@hono/zod-openapi'
import { requireSession } from '../middleware/session'
import { errorResponses } from '../schemas'

/**
 * Shared shapes for the OpenAPI route declarations. Each area's routes file describes its routes with these,
 * so every session route carries the same security scheme, middleware and error responses in the document.
 */

/** One JSON response object: `{ 201: json(Schema, 'created') }`. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})

/**
 * A 200 JSON answer plus error responses (the standard ones unless given, e.g. the signed API's), for a
 * route's `responses`.
 */
export const ok = <E extends object = typeof errorResponses>(
  schema: z.ZodType,
  description = 'ok',
  errors: E = errorResponses as unknown as E,
) => ({
  200: { description, content: { 'application/json': { schema } } },
  ...errors,
})

/** A required JSON request body, to spread into a route's `request`. */
export const body = <S extends z.ZodType>(schema: S) => ({
  body: { content: { 'application/json': { schema } }, required: true },
})

/** The `{id}` path parameter of a record route. */
export const idParam = z.object({ id: z.string().min(1).max(64) })

/** `{ items: Item[] }`, named in the document. */
export const itemsOf = <T extends z.ZodType>(item: T, name: string) =>
  z.object({ items: z.array(item) }).openapi(name)

/**
 * The route factory of one tag: `const route = routeFor('crm')`, then
 * `route('get', '/crm/customers/{id}', 'Summary', { request, responses })`. Every route it makes needs a
 * session (`requireSession`, `security: session`).
 */
export function routeFor(tag: string) {
  return function route<
    M extends RouteConfig['method'],
    P extends string,
    E extends Omit<Partial<RouteConfig>, 'method' | 'path'> & Pick<RouteConfig, 'responses'>,
  >(method: M, path: P, summary: string, extra: E) {
    return createRoute({
      method,
      path,
      summary,
      tags: [tag],
      security: [{ session: [] }],
      middleware: [requireSession] as const,
      ...(extra as E),
    })
  }
}
