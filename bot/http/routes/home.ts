import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { getHome } from '../../domain/home'
import { apiContext, requireSession } from '../middleware/session'
import { errorResponses } from '../schemas'
import type { AppEnv } from '../types'

const Ref = z.object({ id: z.string(), name: z.string() })
const HomeTodos = z
  .object({
    approvals: z.array(
      z.object({ id: z.string(), title: z.string(), initiator: Ref, submittedAt: z.string() }),
    ),
    followups: z.array(z.object({ id: z.string(), customer: Ref, dueAt: z.string(), summary: z.string() })),
    visits: z.array(
      z.object({ id: z.string(), customer: Ref, plannedAt: z.string(), address: z.string().nullable() }),
    ),
    notices: z.array(
      z.object({
        id: z.string(),
        title: z.string(),
        publishedAt: z.string().nullable(),
        requiresAck: z.boolean(),
      }),
    ),
    leads: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        company: z.string().nullable(),
        channelName: z.string(),
        slaDueAt: z.string().nullable(),
        overdue: z.boolean(),
      }),
    ),
  })
  .openapi('HomeTodos')

const home = createRoute({
  method: 'get',
  path: '/home',
  tags: ['home'],
  summary:
    "Today's to-dos: approvals waiting for me, follow-ups due, planned visits, unread notices, my new leads",
  security: [{ session: [] }],
  middleware: [requireSession] as const,
  responses: {
    200: { description: 'to-dos', content: { 'application/json': { schema: HomeTodos } } },
    401: errorResponses[401],
  },
})

export function homeRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>()
  app.openapi(home, async (c) => c.json(await getHome({ ctx: apiContext(c) }), 200))
  return app
}
