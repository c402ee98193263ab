import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { createMiddleware } from 'hono/factory'
import { requirePermission } from '../../domain/org'
import { getQueueStatus, listFailedJobs, retryFailedJob } from '../../domain/queue'
import { apiContext, requireSession } from '../middleware/session'
import { errorResponses as e } from '../schemas'
import type { AppEnv } from '../types'

/**
 * The admin console's queue view (`org.admin`): this tenant's background work by state and topic, the jobs
 * that gave up with their last error, and a retry for each. The operator's cross-tenant picture (queue
 * depth per lane, lag, send errors) is `/metrics`.
 */
const guard = {
  tags: ['admin'],
  security: [{ session: [] }],
  middleware: [
    requireSession,
    createMiddleware<AppEnv>(async (c, next) => {
      await requirePermission(apiContext(c), 'org.admin')
      await next()
    }),
  ],
}
const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})

const QueueStatus = z
  .object({
    pending: z.number().int().openapi({ description: 'waiting for the relay' }),
    relayed: z.number().int().openapi({ description: 'queued or running' }),
    failed: z.number().int().openapi({ description: 'gave up after every try' }),
    doneLastDay: z.number().int(),
    oldestPendingSeconds: z
      .number()
      .int()
      .openapi({ description: 'age of the oldest due row not yet relayed' }),
    topics: z.array(
      z.object({
        topic: z.string(),
        pending: z.number().int(),
        relayed: z.number().int(),
        failed: z.number().int(),
      }),
    ),
  })
  .openapi('QueueStatus')

const FailedJob = z
  .object({
    id: z.number().int(),
    topic: z.string(),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
    failedAt: z.string().nullable(),
    to: z.union([z.object({ userId: z.string() }), z.object({ chatId: z.string() })]).nullable(),
  })
  .openapi('FailedJob')

const JobIdParam = z.object({
  id: z.coerce
    .number({ message: 'expected a job id' })
    .int({ message: 'expected a job id' })
    .min(1, { message: 'expected a job id' })
    .max(Number.MAX_SAFE_INTEGER, { message: 'expected a job id' }),
})

const routes = {
  status: createRoute({
    ...guard,
    method: 'get',
    path: '/admin/queue',
    summary: "This tenant's background work by state and topic, and the relay's lag",
    responses: { 200: json(QueueStatus, 'counts'), 401: e[401], 403: e[403] },
  }),
  failed: createRoute({
    ...guard,
    method: 'get',
    path: '/admin/queue/failed',
    summary: 'Jobs that gave up, newest first, with their last error',
    request: {
      query: z.object({
        limit: z.coerce.number().int().min(1).max(100).default(50),
        before: JobIdParam.shape.id.optional(),
      }),
    },
    responses: {
      200: json(z.object({ items: z.array(FailedJob), nextBefore: z.number().int().nullable() }), 'page'),
      400: e[400],
      401: e[401],
      403: e[403],
    },
  }),
  retry: createRoute({
    ...guard,
    method: 'post',
    path: '/admin/queue/failed/{id}/retry',
    summary: 'Run a failed job again (same idempotency key: a send is never posted twice)',
    request: { params: JobIdParam },
    responses: {
      200: json(z.object({ id: z.number().int(), status: z.literal('pending') }), 'queued again'),
      400: e[400],
      401: e[401],
      403: e[403],
      404: e[404],
      409: e[409],
    },
  }),
}

export function adminQueueRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>()
  app.openapi(routes.status, async (c) => c.json(await getQueueStatus({ ctx: apiContext(c) }), 200))
  app.openapi(routes.failed, async (c) => {
    const { limit, before } = c.req.valid('query')
    return c.json(await listFailedJobs({ ctx: apiContext(c), input: { limit, before } }), 200)
  })
  app.openapi(routes.retry, async (c) => {
    const queue = c.get('deps').queue
    const result = await retryFailedJob({
      ctx: apiContext(c),
      input: { id: c.req.valid('param').id },
      forget: async (jobId, topic) => {
        await queue.forget?.(jobId, topic)
      },
    })
    return c.json(result, 200)
  })
  return app
}
