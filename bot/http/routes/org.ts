import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { listDepartments, searchPeople, searchPeopleInput } from '../../domain/org'
import { apiContext, requireSession } from '../middleware/session'
import { errorResponses } from '../schemas'
import type { AppEnv } from '../types'

const Person = z
  .object({
    id: z.string(),
    name: z.string(),
    enName: z.string().nullable(),
    jobTitle: z.string().nullable(),
    avatarUrl: z.string().nullable(),
    departmentId: z.string().nullable(),
    departmentName: z.string().nullable(),
  })
  .openapi('Person')

interface DepartmentDto {
  id: string
  name: string
  parentId: string | null
  leader: { id: string; name: string } | null
  memberCount: number
  children: DepartmentDto[]
}
const Department: z.ZodType<DepartmentDto> = z
  .lazy(() =>
    z.object({
      id: z.string(),
      name: z.string(),
      parentId: z.string().nullable(),
      leader: z.object({ id: z.string(), name: z.string() }).nullable(),
      memberCount: z.number().int(),
      children: z.array(Department),
    }),
  )
  .openapi('Department')

const people = createRoute({
  method: 'get',
  path: '/org/people',
  tags: ['org'],
  summary: 'Search colleagues (for approver, transfer and audience pickers)',
  security: [{ session: [] }],
  middleware: [requireSession] as const,
  request: { query: searchPeopleInput },
  responses: {
    200: {
      description: 'people',
      content: { 'application/json': { schema: z.object({ items: z.array(Person) }) } },
    },
    400: errorResponses[400],
    401: errorResponses[401],
  },
})

const tree = createRoute({
  method: 'get',
  path: '/org/departments',
  tags: ['org'],
  summary: 'The department tree with leaders and member counts',
  security: [{ session: [] }],
  middleware: [requireSession] as const,
  responses: {
    200: {
      description: 'tree',
      content: { 'application/json': { schema: z.object({ items: z.array(Department) }) } },
    },
    401: errorResponses[401],
  },
})

export function orgRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>()
  app.openapi(people, async (c) => {
    const items = await searchPeople({ ctx: apiContext(c), input: c.req.valid('query') })
    return c.json({ items }, 200)
  })
  app.openapi(tree, async (c) => c.json({ items: await listDepartments({ ctx: apiContext(c) }) }, 200))
  return app
}
