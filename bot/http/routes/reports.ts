import { OpenAPIHono, z } from '@hono/zod-openapi'
import { InvalidInputError } from '../../domain/errors'
import {
  digestPrefsInput,
  drillReport,
  exportReport,
  getDigestPrefs,
  importTargets,
  listReports,
  listTargets,
  listTargetsInput,
  MAX_TARGET_IMPORT_BYTES,
  RECORD_KINDS,
  type RecordRef,
  reportQuery,
  runReport,
  setDigestPrefs,
  setTargets,
  setTargetsInput,
  targetKinds,
  targetProgress,
} from '../../domain/reports'
import { enforceUserBudget } from '../middleware/rate-limit'
import { apiContext } from '../middleware/session'
import { errorResponses } from '../schemas'
import type { AppEnv } from '../types'
import { ok, routeFor } from './openapi'

const Named = z.object({ key: z.string(), label: z.string() })

const ReportSummary = z
  .object({
    key: z.string(),
    title: z.string(),
    description: z.string(),
    dimensions: z.array(Named),
    timing: z.enum(['period', 'snapshot']),
  })
  .openapi('ReportSummary')

const Figures = z.record(z.string(), z.number().nullable())

const ReportResult = z
  .object({
    key: z.string(),
    title: z.string(),
    dimension: Named,
    dimensions: z.array(Named),
    timing: z.enum(['period', 'snapshot']),
    query: z.object({
      from: z.string(),
      to: z.string(),
      departmentId: z.string().nullable(),
      includeSub: z.boolean(),
      userId: z.string().nullable(),
      channelId: z.string().nullable(),
    }),
    columns: z.array(
      z.object({
        key: z.string(),
        label: z.string(),
        unit: z.enum(['count', 'cents', 'percent', 'hours', 'minutes', 'days']),
      }),
    ),
    rows: z.array(
      z.object({
        key: z.string().nullable().openapi({ description: 'dimension value; pass as `value` to drill down' }),
        label: z.string(),
        values: Figures,
      }),
    ),
    totals: Figures,
  })
  .openapi('ReportResult')

const RecordRefSchema = z
  .object({
    kind: z.enum(RECORD_KINDS as [RecordRef['kind'], ...RecordRef['kind'][]]),
    id: z.string(),
    title: z.string(),
    subtitle: z.string().nullable(),
    at: z.string().nullable(),
    link: z
      .string()
      .nullable()
      .openapi({ description: 'the mini-app page of the record (a deal or 回款 opens its customer)' }),
  })
  .openapi('ReportRecord')

const TargetRow = z
  .object({
    subjectKind: z.enum(['user', 'department']),
    subjectId: z.string(),
    kind: z.enum(targetKinds),
    month: z.string(),
    value: z.number().openapi({ description: 'cents for amounts, a count otherwise' }),
  })
  .openapi('SalesTarget')

const keyParam = z.object({
  key: z
    .string()
    .min(1)
    .max(32)
    .regex(/^[a-z-]+$/, 'a report key'),
})

// The query string carries booleans as text; the domain schema accepts both.
const queryParams = reportQuery.extend({
  includeSub: z.enum(['true', 'false']).optional(),
})
const drillParams = queryParams.extend({
  value: z.string().max(128).optional(),
  measure: z.string().min(1).max(32).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
})

const ProgressItem = z.object({
  kind: z.enum([
    'contractAmount',
    'paymentAmount',
    'newCustomers',
    'newOpportunities',
    'visits',
    'followUps',
  ]),
  target: z.number(),
  done: z.number(),
  rate: z.number(),
})
const TargetProgress = z
  .object({
    month: z.string(),
    from: z.string(),
    to: z.string(),
    me: z.array(ProgressItem),
    team: z.object({ people: z.number(), items: z.array(ProgressItem) }).nullable(),
  })
  .openapi('TargetProgress')

const DigestPrefSchema = z
  .object({
    kind: z.enum(['morning', 'weekly']).openapi({
      description: '`morning`: the brief each workday; `weekly`: the team digest on Mondays',
    }),
    enabled: z.boolean(),
    sendAt: z.string().openapi({ description: 'HH:MM in the tenant time zone' }),
    defaultSendAt: z.string(),
  })
  .openapi('DigestPref')

const route = routeFor('reports')

/**
 * Reports under `/api/v1/reports`: the catalogue, each report with period / department / person filters
 * in the caller's data scope, drill-down to the records behind a figure, XLSX export, and sales targets.
 */
export function reportRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>()
  app.openapi(
    route('get', '/reports', 'Every report, with its dimensions', {
      responses: ok(z.object({ items: z.array(ReportSummary) })),
    }),
    async (c) => c.json(await listReports({ ctx: apiContext(c) }), 200),
  )
  app.openapi(
    route('get', '/reports/targets', 'Monthly sales targets of a year (people in your scope; departments)', {
      request: { query: listTargetsInput },
      responses: ok(z.object({ items: z.array(TargetRow) })),
    }),
    async (c) => c.json(await listTargets({ ctx: apiContext(c), input: c.req.valid('query') }), 200),
  )
  app.openapi(
    route(
      'put',
      '/reports/targets',
      'Set (or with value null remove) monthly sales targets, all or nothing',
      {
        request: { body: { content: { 'application/json': { schema: setTargetsInput } }, required: true } },
        responses: ok(z.object({ saved: z.number(), removed: z.number() })),
      },
    ),
    async (c) => c.json(await setTargets({ ctx: apiContext(c), input: c.req.valid('json') }), 200),
  )
  app.openapi(
    route('get', '/reports/progress', 'This month’s target progress: mine, and my team’s for managers', {
      responses: ok(TargetProgress),
    }),
    async (c) => c.json(await targetProgress({ ctx: apiContext(c) }), 200),
  )
  app.openapi(
    route(
      'post',
      '/reports/targets/import',
      'Import targets from a CSV/XLSX sheet (人员 or 部门, 月份 as 2026-03 or 2026-Q1, one column per kind), all or nothing; dryRun checks without writing',
      {
        request: {
          query: z.object({
            format: z.enum(['csv', 'xlsx']),
            dryRun: z.enum(['true', 'false']).optional(),
            name: z.string().max(200).optional(),
          }),
          body: { content: { 'text/csv': { schema: z.string().openapi({ format: 'binary' }) } } },
        },
        responses: ok(
          z.object({ rows: z.number(), subjects: z.number(), saved: z.number(), dryRun: z.boolean() }),
        ),
      },
    ),
    async (c) => {
      await enforceUserBudget(c, 'import')
      const q = c.req.valid('query')
      const raw = await c.req.arrayBuffer()
      if (raw.byteLength > MAX_TARGET_IMPORT_BYTES)
        throw new InvalidInputError('file', `file exceeds ${MAX_TARGET_IMPORT_BYTES} bytes`)
      const result = await importTargets({
        ctx: apiContext(c),
        input: {
          format: q.format,
          data: new Uint8Array(raw),
          dryRun: q.dryRun === 'true',
          ...(q.name ? { fileName: q.name } : {}),
        },
      })
      return c.json(result, 200)
    },
  )
  app.openapi(
    route(
      'get',
      '/reports/digest-prefs',
      'My digest settings: the morning brief and the weekly team digest',
      {
        responses: ok(z.object({ items: z.array(DigestPrefSchema) })),
      },
    ),
    async (c) => c.json({ items: await getDigestPrefs({ ctx: apiContext(c) }) }, 200),
  )
  app.openapi(
    route('put', '/reports/digest-prefs', 'Change my digest settings (on/off, time), all or nothing', {
      request: { body: { content: { 'application/json': { schema: digestPrefsInput } }, required: true } },
      responses: ok(z.object({ items: z.array(DigestPrefSchema) })),
    }),
    async (c) =>
      c.json({ items: await setDigestPrefs({ ctx: apiContext(c), input: c.req.valid('json') }) }, 200),
  )
  app.openapi(
    route('get', '/reports/{key}', 'Run a report: rows by the chosen dimension, and totals', {
      request: { params: keyParam, query: queryParams },
      responses: ok(ReportResult),
    }),
    async (c) =>
      c.json(
        await runReport({ ctx: apiContext(c), key: c.req.valid('param').key, input: c.req.valid('query') }),
        200,
      ),
  )
  app.openapi(
    route('get', '/reports/{key}/records', 'The records behind one figure (same filters as the report)', {
      request: { params: keyParam, query: drillParams },
      responses: ok(z.object({ items: z.array(RecordRefSchema) })),
    }),
    async (c) =>
      c.json(
        await drillReport({ ctx: apiContext(c), key: c.req.valid('param').key, input: c.req.valid('query') }),
        200,
      ),
  )
  app.openapi(
    route('get', '/reports/{key}/export', 'The report as an XLSX workbook (audited)', {
      request: { params: keyParam, query: queryParams },
      responses: {
        200: {
          description: 'the workbook',
          content: {
            'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': {
              schema: z.string().openapi({ format: 'binary' }),
            },
          },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const file = await exportReport({
        ctx: apiContext(c),
        key: c.req.valid('param').key,
        input: c.req.valid('query'),
      })
      return c.body(file.data as unknown as ArrayBuffer, 200, {
        'content-type': file.contentType,
        'content-disposition': `attachment; filename="${file.fileName}"`,
      }) as never
    },
  )
  return app
}
