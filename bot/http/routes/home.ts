import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { getHome } from '../../domain/home'
import { apiContext, readerLocale, requireSession } from '../middleware/session'
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
    deals: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        customer: Ref,
        amountCents: z.number().int(),
        idleDays: z.number().int(),
        expectedCloseDate: z.string().nullable(),
        stalled: z.boolean(),
        closeDatePassed: z.boolean(),
      }),
    ),
    payments: z.array(
      z.object({
        instalmentId: z.string(),
        contract: z.object({ id: z.string(), number: z.string(), name: z.string() }),
        customer: Ref,
        seq: z.number().int(),
        dueDate: z.string(),
        outstandingCents: z.number().int(),
        daysOverdue: z.number().int(),
      }),
    ),
  })
  .openapi('HomeTodos')

const home = createRoute({
  method: 'get',
  path: '/home',
  tags: ['home'],
  summary:
    "Today's to-dos: approvals waiting for me, follow-ups due, planned visits, unread notices, my new leads, stalled deals, overdue 回款",
  security: [{ session: [] }],
  middleware: [requireSession] as const,
  responses: {
    200: { description: 'to-dos', content: { 'application/json': { schema: HomeTodos } } },
    401: errorResponses[401],
  },
})

export function homeRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>()
  app.openapi(home, async (c) => c.json(await getHome({ ctx: apiContext(c), locale: readerLocale(c) }), 200))
  return app
}
