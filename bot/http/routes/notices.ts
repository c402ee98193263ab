import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import type { NoticeRow } from '../../domain/notices'
import {
  AudienceSchema,
  acknowledgeNotice,
  CreateNewsSchema,
  CreateNoticeSchema,
  createNews,
  createNotice,
  EditNoticeSchema,
  editNotice,
  exportNoticeCsv,
  getNews,
  getNotice,
  getNoticeDashboard,
  ListNewsSchema,
  ListNoticesSchema,
  listNews,
  listNotices,
  NEWS_CATEGORIES,
  type NewsRow,
  NOTICE_CATEGORIES,
  publishNotice,
  ReminderPolicySchema,
  remindNotice,
  retractNotice,
  scheduleNotice,
} from '../../domain/notices'
import { enforceUserBudget } from '../middleware/rate-limit'
import { apiContext, requireSession } from '../middleware/session'
import { errorResponses } from '../schemas'
import type { AppEnv } from '../types'
import { idParam, json } from './openapi'

const iso = (d: Date | null | undefined): string | null => (d ? new Date(d).toISOString() : null)

const NoticeSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    body: z.string(),
    images: z.array(
      z.object({ url: z.string().optional(), imageKey: z.string().optional(), alt: z.string() }),
    ),
    attachments: z.array(z.object({ name: z.string(), url: z.string(), size: z.number() })),
    category: z.string(),
    audience: AudienceSchema,
    requireAck: z.boolean(),
    reminder: ReminderPolicySchema.nullable(),
    status: z.enum(['draft', 'scheduled', 'published', 'retracted']),
    scheduledAt: z.string().nullable(),
    publishedAt: z.string().nullable(),
    retractedAt: z.string().nullable(),
    publisherId: z.string(),
    version: z.number().int(),
    recipientCount: z.number().int(),
    createdAt: z.string(),
  })
  .openapi('Notice')

const ReceiptSchema = z
  .object({ readAt: z.string().nullable(), ackAt: z.string().nullable() })
  .openapi('NoticeReceipt')

const NoticeDetailSchema = z
  .object({
    notice: NoticeSchema,
    publisherName: z.string(),
    receipt: ReceiptSchema.nullable(),
    canManage: z.boolean(),
  })
  .openapi('NoticeDetail')

const NoticeListItemSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    category: z.string(),
    status: z.enum(['draft', 'scheduled', 'published', 'retracted']),
    requireAck: z.boolean(),
    publisherId: z.string(),
    publishedAt: z.string().nullable(),
    scheduledAt: z.string().nullable(),
    recipientCount: z.number().int(),
    readAt: z.string().nullable(),
    ackAt: z.string().nullable(),
  })
  .openapi('NoticeListItem')

const CountsSchema = z.object({
  total: z.number().int(),
  pending: z.number().int(),
  sent: z.number().int(),
  failed: z.number().int(),
  read: z.number().int(),
  unread: z.number().int(),
  acknowledged: z.number().int(),
})

const PersonSchema = z.object({
  userId: z.string().nullable(),
  target: z.string(),
  name: z.string(),
  status: z.enum(['pending', 'queued', 'sent', 'failed', 'cancelled']),
  error: z.string().nullable(),
  readAt: z.string().nullable(),
  readVia: z.string().nullable(),
  ackAt: z.string().nullable(),
  reminderStep: z.number().int(),
})

const DashboardResponse = z
  .object({
    notice: NoticeSchema,
    totals: CountsSchema,
    departments: z.array(
      CountsSchema.extend({
        departmentId: z.string().nullable(),
        name: z.string(),
        people: z
          .object({
            unread: z.array(PersonSchema),
            read: z.array(PersonSchema),
            acknowledged: z.array(PersonSchema),
            failed: z.array(PersonSchema),
          })
          .optional(),
      }),
    ),
  })
  .openapi('NoticeDashboard')

const NewsSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    summary: z.string(),
    body: z.string().optional(),
    coverUrl: z.string().nullable(),
    category: z.string(),
    publishedAt: z.string().nullable(),
    readCount: z.number().int(),
  })
  .openapi('NewsArticle')

const toNoticeDto = (n: NoticeRow): z.infer<typeof NoticeSchema> => ({
  id: n.id,
  title: n.title,
  body: n.body,
  images: n.images,
  attachments: n.attachments,
  category: n.category,
  audience: { departments: [], users: [], chats: [], ...n.audience },
  requireAck: n.requireAck,
  reminder: n.reminder ?? null,
  status: n.status,
  scheduledAt: iso(n.scheduledAt),
  publishedAt: iso(n.publishedAt),
  retractedAt: iso(n.retractedAt),
  publisherId: n.publisherId,
  version: n.version,
  recipientCount: n.recipientCount,
  createdAt: iso(n.createdAt) ?? '',
})

const toNewsDto = (
  n: Pick<NewsRow, 'id' | 'title' | 'summary' | 'coverUrl' | 'category' | 'publishedAt' | 'readCount'> & {
    body?: string
  },
) => ({
  id: n.id,
  title: n.title,
  summary: n.summary,
  ...(n.body !== undefined ? { body: n.body } : {}),
  coverUrl: n.coverUrl,
  category: n.category,
  publishedAt: iso(n.publishedAt),
  readCount: n.readCount,
})

const secured = { security: [{ session: [] }], middleware: requireSession }

const create = createRoute({
  method: 'post',
  path: '/notices',
  tags: ['notices'],
  summary: 'Create a notice (draft, publish now, or schedule)',
  description:
    'Admins and roles with `notices.publish`. The audience is checked against your data scope (403 outside it) and must resolve to someone (400). Body ≤ 30 KB markdown, ≤ 9 images, ≤ 10 attachments of ≤ 30 MB. Publishing freezes the audience and returns at once; cards go out asynchronously at the platform rate.',
  ...secured,
  request: { body: { content: { 'application/json': { schema: CreateNoticeSchema } } } },
  responses: { 201: json(NoticeSchema, 'created'), ...errorResponses },
})

const list = createRoute({
  method: 'get',
  path: '/notices',
  tags: ['notices'],
  summary: 'My notices: inbox (sent to me) or published (managed by me)',
  ...secured,
  request: { query: ListNoticesSchema },
  responses: {
    200: json(z.object({ items: z.array(NoticeListItemSchema), nextCursor: z.string().nullable() }), 'page'),
    ...errorResponses,
  },
})

const get = createRoute({
  method: 'get',
  path: '/notices/{id}',
  tags: ['notices'],
  summary: 'One notice; opening it marks it read for a recipient',
  ...secured,
  request: { params: idParam },
  responses: { 200: json(NoticeDetailSchema, 'notice'), ...errorResponses },
})

const edit = createRoute({
  method: 'patch',
  path: '/notices/{id}',
  tags: ['notices'],
  summary: 'Edit a notice; after publishing every delivered card is updated',
  ...secured,
  request: {
    params: idParam,
    body: { content: { 'application/json': { schema: EditNoticeSchema.omit({ id: true }) } } },
  },
  responses: { 200: json(NoticeSchema, 'edited'), ...errorResponses },
})

const action = (path: string, summary: string, description?: string) =>
  createRoute({
    method: 'post',
    path: `/notices/{id}/${path}`,
    tags: ['notices'],
    summary,
    ...(description ? { description } : {}),
    ...secured,
    request: { params: idParam },
    responses: { 200: json(NoticeSchema, 'done'), ...errorResponses },
  })

const publish = action('publish', 'Publish a draft (or a scheduled notice) now')
const retract = action('retract', 'Retract: every delivered card becomes "已撤回"')

const schedule = createRoute({
  method: 'post',
  path: '/notices/{id}/schedule',
  tags: ['notices'],
  summary: 'Schedule (or move) the publish time; must be in the future',
  ...secured,
  request: {
    params: idParam,
    body: {
      content: {
        'application/json': { schema: z.object({ scheduledAt: z.iso.datetime({ offset: true }) }) },
      },
    },
  },
  responses: { 200: json(NoticeSchema, 'scheduled'), ...errorResponses },
})

const remind = createRoute({
  method: 'post',
  path: '/notices/{id}/remind',
  tags: ['notices'],
  summary: 'Remind everyone still unread now (reminder card, then urgent/buzz); once per person per step',
  ...secured,
  request: { params: idParam },
  responses: {
    200: json(
      z.object({ step: z.union([z.literal(1), z.literal(2)]), eligible: z.number().int() }),
      'reminding',
    ),
    ...errorResponses,
  },
})

const ack = createRoute({
  method: 'post',
  path: '/notices/{id}/ack',
  tags: ['notices'],
  summary: 'Acknowledge (or mark read) as the signed-in recipient',
  ...secured,
  request: { params: idParam },
  responses: { 200: json(ReceiptSchema, 'receipt'), ...errorResponses },
})

const dashboard = createRoute({
  method: 'get',
  path: '/notices/{id}/dashboard',
  tags: ['notices'],
  summary: 'Read dashboard per department: unread / read / acknowledged / failed counts and people',
  ...secured,
  request: { params: idParam, query: z.object({ withPeople: z.enum(['true', 'false']).default('true') }) },
  responses: { 200: json(DashboardResponse, 'dashboard'), ...errorResponses },
})

const exportCsv = createRoute({
  method: 'get',
  path: '/notices/{id}/export.csv',
  tags: ['notices'],
  summary: 'Every recipient’s delivery and receipt as CSV',
  ...secured,
  request: { params: idParam },
  responses: {
    200: { description: 'CSV (UTF-8 with BOM)', content: { 'text/csv': { schema: z.string() } } },
    ...errorResponses,
  },
})

const newsCreate = createRoute({
  method: 'post',
  path: '/news',
  tags: ['news'],
  summary: 'Publish a news article to the mini-app feed',
  ...secured,
  request: { body: { content: { 'application/json': { schema: CreateNewsSchema } } } },
  responses: { 201: json(NewsSchema, 'published'), ...errorResponses },
})

const newsList = createRoute({
  method: 'get',
  path: '/news',
  tags: ['news'],
  summary: 'The news feed, newest first, by category',
  ...secured,
  request: { query: ListNewsSchema },
  responses: {
    200: json(z.object({ items: z.array(NewsSchema), nextCursor: z.string().nullable() }), 'feed'),
    ...errorResponses,
  },
})

const newsGet = createRoute({
  method: 'get',
  path: '/news/{id}',
  tags: ['news'],
  summary: 'One article (counts one read per person)',
  ...secured,
  request: { params: idParam },
  responses: { 200: json(NewsSchema, 'article'), ...errorResponses },
})

export const NOTICE_CATEGORY_VALUES = NOTICE_CATEGORIES
export const NEWS_CATEGORY_VALUES = NEWS_CATEGORIES

/** `/api/v1/notices/…` and `/api/v1/news/…`. */
export function noticeRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>()
  app.openapi(create, async (c) => {
    const n = await createNotice({ ctx: apiContext(c), input: c.req.valid('json') })
    return c.json(toNoticeDto(n), 201)
  })
  app.openapi(list, async (c) => {
    const page = await listNotices({ ctx: apiContext(c), input: c.req.valid('query') })
    return c.json(
      {
        items: page.items.map((i) => ({
          ...i,
          publishedAt: iso(i.publishedAt),
          scheduledAt: iso(i.scheduledAt),
          readAt: iso(i.readAt),
          ackAt: iso(i.ackAt),
        })),
        nextCursor: page.nextCursor,
      },
      200,
    )
  })
  app.openapi(get, async (c) => {
    const d = await getNotice({ ctx: apiContext(c), input: c.req.valid('param') })
    return c.json(
      {
        notice: toNoticeDto(d.notice),
        publisherName: d.publisherName,
        receipt: d.receipt ? { readAt: iso(d.receipt.readAt), ackAt: iso(d.receipt.ackAt) } : null,
        canManage: d.canManage,
      },
      200,
    )
  })
  app.openapi(edit, async (c) => {
    const n = await editNotice({
      ctx: apiContext(c),
      input: { ...c.req.valid('json'), id: c.req.valid('param').id },
    })
    return c.json(toNoticeDto(n), 200)
  })
  app.openapi(publish, async (c) =>
    c.json(toNoticeDto(await publishNotice({ ctx: apiContext(c), input: c.req.valid('param') })), 200),
  )
  app.openapi(retract, async (c) =>
    c.json(toNoticeDto(await retractNotice({ ctx: apiContext(c), input: c.req.valid('param') })), 200),
  )
  app.openapi(schedule, async (c) => {
    const n = await scheduleNotice({
      ctx: apiContext(c),
      input: { id: c.req.valid('param').id, scheduledAt: c.req.valid('json').scheduledAt },
    })
    return c.json(toNoticeDto(n), 200)
  })
  app.openapi(remind, async (c) =>
    c.json(await remindNotice({ ctx: apiContext(c), input: c.req.valid('param') }), 200),
  )
  app.openapi(ack, async (c) => {
    const r = await acknowledgeNotice({ ctx: apiContext(c), input: c.req.valid('param'), via: 'app' })
    return c.json({ readAt: iso(r.receipt.readAt), ackAt: iso(r.receipt.ackAt) }, 200)
  })
  app.openapi(dashboard, async (c) => {
    const d = await getNoticeDashboard({
      ctx: apiContext(c),
      input: { id: c.req.valid('param').id, withPeople: c.req.valid('query').withPeople === 'true' },
    })
    const person = (p: NonNullable<(typeof d.departments)[number]['people']>['read'][number]) => ({
      ...p,
      readAt: iso(p.readAt),
      ackAt: iso(p.ackAt),
    })
    return c.json(
      {
        notice: toNoticeDto(d.notice),
        totals: d.totals,
        departments: d.departments.map(({ people, ...dept }) => ({
          ...dept,
          ...(people
            ? {
                people: {
                  unread: people.unread.map(person),
                  read: people.read.map(person),
                  acknowledged: people.acknowledged.map(person),
                  failed: people.failed.map(person),
                },
              }
            : {}),
        })),
      },
      200,
    )
  })
  app.openapi(exportCsv, async (c) => {
    await enforceUserBudget(c, 'export')
    const { filename, csv } = await exportNoticeCsv({ ctx: apiContext(c), input: c.req.valid('param') })
    return c.body(csv, 200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${filename}"`,
    })
  })
  app.openapi(newsCreate, async (c) => {
    const n = await createNews({ ctx: apiContext(c), input: c.req.valid('json') })
    return c.json(toNewsDto(n), 201)
  })
  app.openapi(newsList, async (c) => {
    const page = await listNews({ ctx: apiContext(c), input: c.req.valid('query') })
    return c.json({ items: page.items.map(toNewsDto), nextCursor: page.nextCursor }, 200)
  })
  app.openapi(newsGet, async (c) =>
    c.json(toNewsDto(await getNews({ ctx: apiContext(c), input: c.req.valid('param') })), 200),
  )
  return app
}
