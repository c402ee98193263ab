import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { approvalStartCard } from '../../cards/approval-form-card'
import { progressSteps } from '../../cards/approval-progress-card'
import {
  type ApprovalView,
  addSigner,
  approveTask,
  cancelInstance,
  createTemplate,
  FlowGraphSchema,
  FormFieldSchema,
  getInstance,
  getStatistics,
  getTemplate,
  ListInstancesInput,
  listInstances,
  listTemplates,
  PreviewFlowInput,
  previewFlow,
  previewTemplate,
  rejectTask,
  requestTitle,
  resubmitInstance,
  returnTask,
  StatisticsInput,
  startInstance,
  TemplateDefinitionSchema,
  TemplateSettingsSchema,
  type TimelineEntry,
  transferTask,
  updateTemplate,
  urgeInstance,
  userName,
  viewTitle,
  withdrawInstance,
} from '../../domain/approvals'
import type { ServiceContext } from '../../domain/context'
import type { Locale } from '../../domain/locale'
import { apiContext, readerLocale, readerTimeZone, requireSession } from '../middleware/session'
import { errorResponses } from '../schemas'
import type { AppEnv } from '../types'
import { body, idParam, json } from './openapi'

const iso = (d: Date | null | undefined): string | null => (d ? new Date(d).toISOString() : null)

const Person = z.object({ id: z.string(), name: z.string() }).openapi('ApprovalPerson')

const TemplateSummarySchema = z
  .object({
    id: z.string(),
    key: z.string(),
    name: z.string(),
    nameEn: z.string().nullable(),
    description: z.string().nullable(),
    aliases: z.array(z.string()),
    version: z.number().int(),
    active: z.boolean(),
  })
  .openapi('ApprovalTemplateSummary')

const TemplateDetailSchema = z
  .object({
    id: z.string(),
    key: z.string(),
    name: z.string(),
    nameEn: z.string().nullable(),
    version: z.number().int(),
    form: z.array(FormFieldSchema),
    flow: FlowGraphSchema,
    settings: TemplateSettingsSchema,
  })
  .openapi('ApprovalTemplate')

const TemplateRefSchema = z
  .object({ id: z.string(), key: z.string(), version: z.number().int() })
  .openapi('ApprovalTemplateRef')

const TaskSchema = z
  .object({
    id: z.string(),
    stepIndex: z.number().int(),
    nodeId: z.string(),
    round: z.number().int(),
    kind: z.enum(['approve', 'cc']),
    assignee: Person,
    status: z.string(),
    version: z.number().int(),
    origin: z.string(),
    auto: z.string().nullable(),
    comment: z.string().nullable(),
    decidedBy: Person.nullable(),
    decidedAt: z.string().nullable(),
    activatedAt: z.string().nullable(),
  })
  .openapi('ApprovalTask')

const TimelineSchema = z
  .object({
    id: z.number().int(),
    action: z.string(),
    actor: Person.nullable(),
    taskId: z.string().nullable(),
    comment: z.string().nullable(),
    before: z.unknown(),
    after: z.unknown(),
    at: z.string(),
  })
  .openapi('ApprovalTimelineEntry')

const InstanceSchema = z
  .object({
    id: z.string(),
    serialNo: z.string(),
    title: z.string(),
    template: z.object({ key: z.string(), name: z.string(), version: z.number().int() }),
    status: z.enum(['pending', 'approved', 'rejected', 'returned', 'withdrawn', 'cancelled']),
    version: z.number().int(),
    round: z.number().int(),
    initiator: Person,
    form: z.record(z.string(), z.unknown()),
    formLabels: z.record(z.string(), z.string()).openapi({
      description: 'Display names of `user`, `department` and `customer` values in `form`, by field key',
    }),
    fields: z.array(FormFieldSchema),
    steps: z.array(
      z.object({
        nodeId: z.string(),
        name: z.string(),
        type: z.enum(['approval', 'cc']),
        mode: z.enum(['sequential', 'all', 'any']),
        approvers: z.array(Person),
        skipped: z.boolean(),
      }),
    ),
    progress: z.array(z.object({ title: z.string(), detail: z.string().optional(), state: z.string() })),
    tasks: z.array(TaskSchema),
    myTask: z.object({ id: z.string(), version: z.number().int() }).nullable(),
    businessRef: z.string().nullable(),
    /** Started by an external system (ERP, HR): its name, the record id there and the link back. */
    external: z
      .object({
        systemId: z.string(),
        systemName: z.string(),
        externalId: z.string(),
        link: z.string().nullable(),
      })
      .nullable(),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
    timeline: z.array(TimelineSchema).optional(),
  })
  .openapi('ApprovalInstance')

const ListItemSchema = z
  .object({
    id: z.string(),
    serialNo: z.string(),
    title: z.string(),
    templateKey: z.string(),
    templateName: z.string(),
    status: z.string(),
    initiator: Person,
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
    /** Name of the external system (ERP, HR) that started it; null for requests started by people. */
    source: z.string().nullable(),
    myTask: z.object({ id: z.string(), version: z.number().int() }).nullable(),
  })
  .openapi('ApprovalListItem')

const FlowPreviewSchema = z
  .object({
    steps: z.array(
      z.object({
        nodeId: z.string(),
        name: z.string(),
        nameEn: z.string().nullable(),
        type: z.enum(['approval', 'cc']),
        mode: z.enum(['sequential', 'all', 'any']),
        approvers: z.array(Person),
        skipped: z.boolean(),
        toAdmin: z.boolean(),
        chooses: z.boolean(),
      }),
    ),
    dependsOn: z.array(z.string()),
    conditions: z.array(z.object({ name: z.string(), branches: z.array(z.string()) })),
  })
  .openapi('ApprovalFlowPreview')

const StatisticsSchema = z
  .object({
    templates: z.array(
      z.object({
        templateKey: z.string(),
        templateName: z.string(),
        total: z.number(),
        finished: z.number(),
        approved: z.number(),
        avgHours: z.number().nullable(),
      }),
    ),
    approvers: z.array(
      z.object({
        userId: z.string(),
        name: z.string(),
        decided: z.number(),
        avgHours: z.number().nullable(),
      }),
    ),
    overdue: z.array(
      z.object({
        taskId: z.string(),
        instanceId: z.string(),
        title: z.string(),
        assignee: Person,
        since: z.string(),
        hours: z.number(),
      }),
    ),
  })
  .openapi('ApprovalStatistics')

function formLabelsOf(view: ApprovalView): Record<string, string> {
  const out: Record<string, string> = {}
  for (const f of view.template.form) {
    const v = view.instance.form[f.key]
    if (typeof v !== 'string') continue
    const name =
      f.type === 'user'
        ? view.users.get(v)?.name
        : f.type === 'department'
          ? view.departments.get(v)
          : f.type === 'customer'
            ? view.records.get(v)
            : undefined
    if (name) out[f.key] = name
  }
  return out
}

function instanceDto(
  view: ApprovalView,
  me: string | null,
  locale: Locale,
  timeZone: string,
  timeline?: TimelineEntry[],
): z.infer<typeof InstanceSchema> {
  const ins = view.instance
  const person = (id: string) => ({ id, name: userName(view, id, locale) })
  const mine = me
    ? view.tasks.find((t) => t.assigneeId === me && t.status === 'pending' && t.round === ins.round)
    : undefined
  return {
    id: ins.id,
    serialNo: ins.serialNo,
    title: viewTitle(view, locale),
    template: {
      key: view.template.key,
      name: locale === 'en' && view.template.nameEn ? view.template.nameEn : view.template.name,
      version: ins.templateVersion,
    },
    status: ins.status,
    version: ins.version,
    round: ins.round,
    initiator: person(ins.initiatorId),
    form: ins.form,
    formLabels: formLabelsOf(view),
    fields: view.template.form,
    steps: view.plan.map((s) => ({
      nodeId: s.nodeId,
      name: s.name,
      type: s.type,
      mode: s.mode,
      approvers: s.approverIds.map(person),
      skipped: !!s.skipped,
    })),
    progress: progressSteps(view, locale, timeZone),
    tasks: view.tasks.map((t) => ({
      id: t.id,
      stepIndex: t.stepIndex,
      nodeId: t.nodeId,
      round: t.round,
      kind: t.kind,
      assignee: person(t.assigneeId),
      status: t.status,
      version: t.version,
      origin: t.origin,
      auto: t.auto,
      comment: t.comment,
      decidedBy: t.decidedBy ? person(t.decidedBy) : null,
      decidedAt: iso(t.decidedAt),
      activatedAt: iso(t.activatedAt),
    })),
    myTask: mine ? { id: mine.id, version: mine.version } : null,
    businessRef: ins.businessRef,
    external: ins.external ?? null,
    createdAt: iso(ins.createdAt) ?? '',
    finishedAt: iso(ins.finishedAt),
    ...(timeline
      ? {
          timeline: timeline.map((e) => ({
            id: e.id,
            action: e.action,
            actor: e.actorId ? person(e.actorId) : null,
            taskId: e.taskId,
            comment: e.comment,
            before: e.before,
            after: e.after,
            at: iso(e.at) ?? '',
          })),
        }
      : {}),
  }
}

const me = (ctx: ServiceContext) => (ctx.actor.kind === 'user' ? ctx.actor.userId : null)
const common = { tags: ['approvals'], security: [{ session: [] }], middleware: requireSession }

const CommentBody = z.object({ comment: z.string().max(1000).optional() })
const DecideBody = CommentBody.extend({ version: z.number().int().positive().optional() })
const KeyParam = z.object({ key: z.string().min(1).max(64) })

const routes = {
  listTemplates: createRoute({
    ...common,
    method: 'get',
    path: '/approvals/templates',
    summary: 'Approval templates (审批模板)',
    request: { query: z.object({ all: z.enum(['true', 'false']).optional() }) },
    responses: {
      200: json(z.object({ items: z.array(TemplateSummarySchema) }), 'templates'),
      ...errorResponses,
    },
  }),
  getTemplate: createRoute({
    ...common,
    method: 'get',
    path: '/approvals/templates/{key}',
    summary: 'A template with its form, flow and settings',
    request: {
      params: KeyParam,
      query: z.object({ version: z.coerce.number().int().positive().optional() }),
    },
    responses: { 200: json(TemplateDetailSchema, 'template'), ...errorResponses },
  }),
  createTemplate: createRoute({
    ...common,
    method: 'post',
    path: '/approvals/templates',
    summary: 'Create a template (admin); the flow graph is validated',
    description:
      'Refused with 400 naming the node (`error.field = flow.nodes.<id>`) when a node is unreachable, a condition has no default branch, the flow loops, a link points nowhere, or an approval node (and the condition branch leading to it) can never find an approver: a role nobody holds, people who all left, a named department without a head (unless its `emptyPolicy` is `skip`). The same checks apply to `PUT`.',
    request: body(TemplateDefinitionSchema),
    responses: { 201: json(TemplateRefSchema, 'created'), ...errorResponses },
  }),
  previewTemplate: createRoute({
    ...common,
    method: 'post',
    path: '/approvals/templates/preview',
    summary: 'The chat card a draft template would answer 「发起 <name>」 with (admin); nothing is saved',
    description:
      "The same checks as creating a template (400 naming the field); the card is the neutral card model every platform adapter renders, in the reader's language.",
    request: body(TemplateDefinitionSchema),
    responses: {
      200: json(
        z.object({
          card: z
            .record(z.string(), z.unknown())
            .openapi({ description: 'Card: header {title, color}, elements [{type, …}], summary' }),
        }),
        'card',
      ),
      ...errorResponses,
    },
  }),
  updateTemplate: createRoute({
    ...common,
    method: 'put',
    path: '/approvals/templates/{key}',
    summary: 'Publish a new version of a template (admin); running requests keep theirs',
    request: {
      params: KeyParam,
      ...body(
        TemplateDefinitionSchema.extend({
          active: z.boolean().optional(),
          baseVersion: z
            .number()
            .int()
            .positive()
            .optional()
            .openapi({ description: 'The version you edited; 409 if someone published a newer one since' }),
        }),
      ),
    },
    responses: { 200: json(TemplateRefSchema, 'new version'), ...errorResponses },
  }),
  start: createRoute({
    ...common,
    method: 'post',
    path: '/approvals/instances',
    summary: 'Submit a request (发起审批)',
    description:
      'Money is integer cents; a date range is `{start, end}` (days are computed). 400 names the field.',
    request: body(
      z.object({
        templateKey: z.string().min(1),
        form: z.record(z.string(), z.unknown()),
        approvers: z.record(z.string(), z.array(z.string()).min(1).max(20)).optional(),
      }),
    ),
    responses: { 201: json(InstanceSchema, 'submitted'), ...errorResponses },
  }),
  preview: createRoute({
    ...common,
    method: 'post',
    path: '/approvals/flow-preview',
    summary: 'Who will approve, node by node, for the form filled in so far (审批流程预览)',
    description:
      "Nothing is written. Fields left empty or not yet valid are ignored, so conditions on them take their default branch. `dependsOn` names the fields the flow's conditions test.",
    request: body(PreviewFlowInput),
    responses: { 200: json(FlowPreviewSchema, 'the flow for these values'), ...errorResponses },
  }),
  list: createRoute({
    ...common,
    method: 'get',
    path: '/approvals/instances',
    summary: 'My requests, my to-do, what I decided, what was copied to me',
    request: { query: ListInstancesInput },
    responses: {
      200: json(
        z.object({
          items: z.array(ListItemSchema),
          total: z.number().int(),
          page: z.number().int(),
          pageSize: z.number().int(),
        }),
        'page',
      ),
      ...errorResponses,
    },
  }),
  get: createRoute({
    ...common,
    method: 'get',
    path: '/approvals/instances/{id}',
    summary: 'A request with its steps, tasks and timeline',
    request: { params: idParam },
    responses: { 200: json(InstanceSchema, 'request'), ...errorResponses },
  }),
  withdraw: createRoute({
    ...common,
    method: 'post',
    path: '/approvals/instances/{id}/withdraw',
    summary: 'Withdraw (撤回) by the initiator while pending',
    request: { params: idParam, ...body(CommentBody) },
    responses: { 200: json(InstanceSchema, 'withdrawn'), ...errorResponses },
  }),
  urge: createRoute({
    ...common,
    method: 'post',
    path: '/approvals/instances/{id}/urge',
    summary: 'Nudge (催办) the pending approvers; at most once an hour',
    request: { params: idParam, ...body(CommentBody) },
    responses: { 200: json(InstanceSchema, 'nudged'), 429: json(z.unknown(), 'too soon'), ...errorResponses },
  }),
  cancel: createRoute({
    ...common,
    method: 'post',
    path: '/approvals/instances/{id}/cancel',
    summary: 'Cancel (撤销) by an approval admin',
    request: { params: idParam, ...body(CommentBody) },
    responses: { 200: json(InstanceSchema, 'cancelled'), ...errorResponses },
  }),
  resubmit: createRoute({
    ...common,
    method: 'post',
    path: '/approvals/instances/{id}/resubmit',
    summary: 'Resubmit a returned request, optionally with an edited form',
    request: {
      params: idParam,
      ...body(
        CommentBody.extend({
          form: z.record(z.string(), z.unknown()).optional(),
          approvers: z.record(z.string(), z.array(z.string()).min(1).max(20)).optional(),
        }),
      ),
    },
    responses: { 200: json(InstanceSchema, 'resubmitted'), ...errorResponses },
  }),
  approve: createRoute({
    ...common,
    method: 'post',
    path: '/approvals/tasks/{id}/approve',
    summary: 'Approve (同意)',
    description: '409 when the task is no longer pending; the message says who handled it.',
    request: { params: idParam, ...body(DecideBody) },
    responses: { 200: json(InstanceSchema, 'approved'), ...errorResponses },
  }),
  reject: createRoute({
    ...common,
    method: 'post',
    path: '/approvals/tasks/{id}/reject',
    summary: 'Reject (拒绝)',
    request: { params: idParam, ...body(DecideBody) },
    responses: { 200: json(InstanceSchema, 'rejected'), ...errorResponses },
  }),
  return: createRoute({
    ...common,
    method: 'post',
    path: '/approvals/tasks/{id}/return',
    summary: 'Return (退回) to the initiator or an earlier node',
    request: { params: idParam, ...body(DecideBody.extend({ toNodeId: z.string().optional() })) },
    responses: { 200: json(InstanceSchema, 'returned'), ...errorResponses },
  }),
  transfer: createRoute({
    ...common,
    method: 'post',
    path: '/approvals/tasks/{id}/transfer',
    summary: 'Transfer (转交) to a colleague (the assignee, or an approval admin)',
    request: { params: idParam, ...body(DecideBody.extend({ toUserId: z.string().min(1) })) },
    responses: { 200: json(InstanceSchema, 'transferred'), ...errorResponses },
  }),
  addSign: createRoute({
    ...common,
    method: 'post',
    path: '/approvals/tasks/{id}/add-sign',
    summary: 'Add a signer (加签) before or after me',
    request: {
      params: idParam,
      ...body(DecideBody.extend({ userId: z.string().min(1), position: z.enum(['before', 'after']) })),
    },
    responses: { 200: json(InstanceSchema, 'added'), ...errorResponses },
  }),
  statistics: createRoute({
    ...common,
    method: 'get',
    path: '/approvals/statistics',
    summary: 'Average duration per template and per approver; overdue tasks (admin)',
    request: { query: StatisticsInput },
    responses: { 200: json(StatisticsSchema, 'statistics'), ...errorResponses },
  }),
}

/** The mini-app API of approvals, under `/api/v1/approvals`. */
export function approvalRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>()
  app.openapi(routes.listTemplates, async (c) => {
    const items = await listTemplates({
      ctx: apiContext(c),
      input: { all: c.req.valid('query').all === 'true' },
    })
    return c.json({ items }, 200)
  })
  app.openapi(routes.getTemplate, async (c) => {
    const { key } = c.req.valid('param')
    const { version } = c.req.valid('query')
    const tv = await getTemplate({ ctx: apiContext(c), input: { key, ...(version ? { version } : {}) } })
    return c.json(
      {
        id: tv.templateId,
        key: tv.key,
        name: tv.name,
        nameEn: tv.nameEn,
        version: tv.version,
        form: tv.form,
        flow: tv.flow,
        settings: tv.settings,
      },
      200,
    )
  })
  app.openapi(routes.createTemplate, async (c) =>
    c.json(await createTemplate({ ctx: apiContext(c), input: c.req.valid('json') }), 201),
  )
  app.openapi(routes.previewTemplate, async (c) => {
    const tv = await previewTemplate({ ctx: apiContext(c), input: c.req.valid('json') })
    return c.json({ card: { ...approvalStartCard(tv, readerLocale(c)) } }, 200)
  })
  app.openapi(routes.updateTemplate, async (c) => {
    const { active, baseVersion, ...definition } = c.req.valid('json')
    const result = await updateTemplate({
      ctx: apiContext(c),
      input: {
        key: c.req.valid('param').key,
        definition,
        ...(active !== undefined ? { active } : {}),
        ...(baseVersion !== undefined ? { baseVersion } : {}),
      },
    })
    return c.json(result, 200)
  })
  app.openapi(routes.start, async (c) => {
    const ctx = apiContext(c)
    const view = await startInstance({ ctx, input: c.req.valid('json') })
    return c.json(instanceDto(view, me(ctx), readerLocale(c), await readerTimeZone(c)), 201)
  })
  app.openapi(routes.preview, async (c) => {
    const flow = await previewFlow({ ctx: apiContext(c), input: c.req.valid('json') })
    const en = readerLocale(c) === 'en'
    // People named in the reader's language (the step names travel in both: `name`, `nameEn`).
    return c.json(
      {
        ...flow,
        steps: flow.steps.map((s) => ({
          ...s,
          approvers: s.approvers.map((p) => ({ id: p.id, name: (en && p.enName) || p.name })),
        })),
      },
      200,
    )
  })
  app.openapi(routes.list, async (c) => {
    const page = await listInstances({ ctx: apiContext(c), input: c.req.valid('query') })
    const locale = readerLocale(c)
    const en = locale === 'en'
    return c.json(
      {
        items: page.items.map((r) => ({
          id: r.id,
          serialNo: r.serialNo,
          title: requestTitle(r, locale),
          templateKey: r.templateKey,
          templateName: (en && r.templateNameEn) || r.templateName,
          status: r.status,
          initiator: { id: r.initiatorId, name: (en && r.initiatorEnName) || r.initiatorName },
          createdAt: iso(r.createdAt) ?? '',
          finishedAt: iso(r.finishedAt),
          source: r.source,
          myTask: r.myTaskId ? { id: r.myTaskId, version: r.myTaskVersion ?? 1 } : null,
        })),
        total: page.total,
        page: page.page,
        pageSize: page.pageSize,
      },
      200,
    )
  })
  app.openapi(routes.get, async (c) => {
    const ctx = apiContext(c)
    const { view, timeline } = await getInstance({ ctx, input: { instanceId: c.req.valid('param').id } })
    return c.json(instanceDto(view, me(ctx), readerLocale(c), await readerTimeZone(c), timeline), 200)
  })
  app.openapi(routes.withdraw, async (c) => {
    const ctx = apiContext(c)
    const { comment } = c.req.valid('json')
    const view = await withdrawInstance({
      ctx,
      input: { instanceId: c.req.valid('param').id, ...(comment ? { comment } : {}) },
    })
    return c.json(instanceDto(view, me(ctx), readerLocale(c), await readerTimeZone(c)), 200)
  })
  app.openapi(routes.urge, async (c) => {
    const ctx = apiContext(c)
    const { comment } = c.req.valid('json')
    const view = await urgeInstance({
      ctx,
      input: { instanceId: c.req.valid('param').id, ...(comment ? { comment } : {}) },
    })
    return c.json(instanceDto(view, me(ctx), readerLocale(c), await readerTimeZone(c)), 200)
  })
  app.openapi(routes.cancel, async (c) => {
    const ctx = apiContext(c)
    const { comment } = c.req.valid('json')
    const view = await cancelInstance({
      ctx,
      input: { instanceId: c.req.valid('param').id, ...(comment ? { comment } : {}) },
    })
    return c.json(instanceDto(view, me(ctx), readerLocale(c), await readerTimeZone(c)), 200)
  })
  app.openapi(routes.resubmit, async (c) => {
    const ctx = apiContext(c)
    const b = c.req.valid('json')
    const view = await resubmitInstance({
      ctx,
      input: {
        instanceId: c.req.valid('param').id,
        ...(b.form ? { form: b.form } : {}),
        ...(b.approvers ? { approvers: b.approvers } : {}),
        ...(b.comment ? { comment: b.comment } : {}),
      },
    })
    return c.json(instanceDto(view, me(ctx), readerLocale(c), await readerTimeZone(c)), 200)
  })
  const decideInput = (
    taskId: string,
    b: { comment?: string | undefined; version?: number | undefined },
  ) => ({
    taskId,
    ...(b.comment ? { comment: b.comment } : {}),
    ...(b.version !== undefined ? { version: b.version } : {}),
  })
  app.openapi(routes.approve, async (c) => {
    const ctx = apiContext(c)
    const { view } = await approveTask({
      ctx,
      input: decideInput(c.req.valid('param').id, c.req.valid('json')),
    })
    return c.json(instanceDto(view, me(ctx), readerLocale(c), await readerTimeZone(c)), 200)
  })
  app.openapi(routes.reject, async (c) => {
    const ctx = apiContext(c)
    const { view } = await rejectTask({
      ctx,
      input: decideInput(c.req.valid('param').id, c.req.valid('json')),
    })
    return c.json(instanceDto(view, me(ctx), readerLocale(c), await readerTimeZone(c)), 200)
  })
  app.openapi(routes.return, async (c) => {
    const ctx = apiContext(c)
    const b = c.req.valid('json')
    const { view } = await returnTask({
      ctx,
      input: { ...decideInput(c.req.valid('param').id, b), ...(b.toNodeId ? { toNodeId: b.toNodeId } : {}) },
    })
    return c.json(instanceDto(view, me(ctx), readerLocale(c), await readerTimeZone(c)), 200)
  })
  app.openapi(routes.transfer, async (c) => {
    const ctx = apiContext(c)
    const b = c.req.valid('json')
    const { view } = await transferTask({
      ctx,
      input: { ...decideInput(c.req.valid('param').id, b), toUserId: b.toUserId },
    })
    return c.json(instanceDto(view, me(ctx), readerLocale(c), await readerTimeZone(c)), 200)
  })
  app.openapi(routes.addSign, async (c) => {
    const ctx = apiContext(c)
    const b = c.req.valid('json')
    const { view } = await addSigner({
      ctx,
      input: { ...decideInput(c.req.valid('param').id, b), userId: b.userId, position: b.position },
    })
    return c.json(instanceDto(view, me(ctx), readerLocale(c), await readerTimeZone(c)), 200)
  })
  app.openapi(routes.statistics, async (c) => {
    const s = await getStatistics({ ctx: apiContext(c), input: c.req.valid('query') })
    return c.json(
      {
        templates: s.templates,
        approvers: s.approvers,
        overdue: s.overdue.map((o) => ({
          taskId: o.taskId,
          instanceId: o.instanceId,
          title: o.title,
          assignee: { id: o.assigneeId, name: o.assigneeName },
          since: o.since.toISOString(),
          hours: o.hours,
        })),
      },
      200,
    )
  })
  return app
}
