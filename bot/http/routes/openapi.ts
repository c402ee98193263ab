import { createRoute, type RouteConfig, z } from '@hono/zod-openapi'
import { requireSession } from '../middleware/session'
import { errorResponses } from '../schemas'

/** Shared helpers of the session API routes: a 200 JSON answer with the error answers, a JSON body, `{id}`. */
export const ok = (schema: z.ZodType, description = 'ok') => ({
  200: { description, content: { 'application/json': { schema } } },
  ...errorResponses,
})
export const body = <S extends z.ZodType>(schema: S) => ({
  body: { content: { 'application/json': { schema } }, required: true },
})
export const idParam = z.object({ id: z.string().min(1).max(64) })

/** A session route of `tag` (the mini-app's API): the session is checked before the handler runs. */
export function sessionRoute<
  M extends RouteConfig['method'],
  P extends string,
  E extends Omit<Partial<RouteConfig>, 'method' | 'path'> & Pick<RouteConfig, 'responses'>,
>(tag: string, method: M, path: P, summary: string, extra: E) {
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
