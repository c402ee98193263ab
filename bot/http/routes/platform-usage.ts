import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { getPlatformUsage, USAGE_PLATFORMS } from '../../domain/platform-usage'
import { apiContext, requireSession } from '../middleware/session'
import { errorResponses } from '../schemas'
import type { AppEnv } from '../types'

const PlatformUsage = z
  .object({
    platform: z.enum(USAGE_PLATFORMS),
    month: z.string().openapi({ example: '2026-12' }),
    apiCalls: z.number().int(),
    apiQuota: z.number().int(),
    pushes: z.number().int(),
    pushQuota: z.number().int(),
    percent: z.number().int().openapi({ description: 'the larger share of either allowance, in percent' }),
    pausedUntil: z.string().nullable().openapi({ description: 'sends wait until then (quota spent)' }),
    pauseReason: z.string().nullable(),
  })
  .openapi('PlatformUsage')

const usage = createRoute({
  method: 'get',
  path: '/admin/platform-usage',
  tags: ['admin'],
  summary: "This month's chat-platform API calls and pushes against the tenant's quota (org.admin)",
  security: [{ session: [] }],
  middleware: [requireSession] as const,
  request: { query: z.object({ platform: z.enum(USAGE_PLATFORMS).default('dingtalk') }) },
  responses: {
    200: { description: 'usage', content: { 'application/json': { schema: PlatformUsage } } },
    400: errorResponses[400],
    401: errorResponses[401],
    403: errorResponses[403],
  },
})

export function platformUsageRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>()
  app.openapi(usage, async (c) =>
    c.json(await getPlatformUsage({ ctx: apiContext(c), input: c.req.valid('query') }), 200),
  )
  return app
}
