import { OpenAPIHono, z } from '@hono/zod-openapi'
import type { AssignmentRuleRow, LeadFollowUpRow } from '../../domain/leads'
import {
  acceptLead,
  addLeadFollowUp,
  analyseChannels,
  analysisInput,
  assignmentRuleInput,
  campaignCostInput,
  campaignInput,
  channelInput,
  claimLead,
  convertInput,
  convertLead,
  createAssignmentRule,
  createCampaign,
  createChannel,
  createLead,
  createLeadInput,
  deleteAssignmentRule,
  deleteSavedView,
  exportLeads,
  getLead,
  getLeadSettings,
  invalidInput,
  leadDto,
  leadFollowUpInput,
  leadListInput,
  leadSettingsInput,
  listAssignmentRules,
  listCampaigns,
  listChannels,
  listLeadFollowUps,
  listLeads,
  listSavedViews,
  markLeadInvalid,
  mergeInput,
  mergeLeads,
  rotateChannelSecret,
  savedViewInput,
  saveView,
  setCampaignCost,
  setLeadStatus,
  statusInput,
  transferInput,
  transferLead,
  updateAssignmentRule,
  updateCampaign,
  updateCampaignInput,
  updateChannel,
  updateChannelInput,
  updateLeadSettings,
} from '../../domain/leads'
import { apiContext } from '../middleware/session'
import { errorResponses } from '../schemas'
import type { AppEnv } from '../types'
import {
  CampaignSchema,
  ChannelAnalysisSchema,
  ChannelSchema,
  ChannelSecretSchema,
  ConvertResultSchema,
  CreateLeadResultSchema,
  LeadDetailSchema,
  LeadFollowUpSchema,
  LeadPage,
  LeadSchema,
  LeadSettingsSchema,
  RuleSchema,
  SavedViewSchema,
} from './leads-schemas'
import { body, idParam, itemsOf, ok, routeFor } from './openapi'

const route = routeFor('leads')

const toFollowUp = (f: LeadFollowUpRow) => ({
  id: f.id,
  leadId: f.leadId,
  authorId: f.authorId,
  kind: f.kind,
  content: f.content,
  nextFollowUpAt: f.nextFollowUpAt ? f.nextFollowUpAt.toISOString() : null,
  createdAt: f.createdAt.toISOString(),
})
const toRule = ({ tenantId: _t, cursor: _c, createdAt: _a, updatedAt: _u, ...r }: AssignmentRuleRow) => r

/**
 * The lead API under `/api/v1/crm`: leads (list with filters, export, create, detail with timeline, accept,
 * claim, transfer, invalid, status, follow-ups, merge, convert), channels, campaigns with monthly costs,
 * assignment rules, lead settings and the channel analysis. Leads outside the caller's scope answer 404.
 */
export function leadRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>()

  app.openapi(
    route('get', '/crm/leads', 'List leads (status, channel, campaign, owner, SLA state, created period)', {
      request: { query: leadListInput },
      responses: ok(LeadPage),
    }),
    async (c) => c.json(await listLeads({ ctx: apiContext(c), input: c.req.valid('query') }), 200),
  )
  app.openapi(
    route('get', '/crm/leads/export', 'Export the filtered lead list as CSV (needs crm.export)', {
      request: { query: leadListInput.omit({ limit: true, offset: true }) },
      responses: {
        200: { description: 'the file', content: { 'text/csv': { schema: z.string() } } },
        ...errorResponses,
      },
    }),
    async (c) => {
      const data = await exportLeads({ ctx: apiContext(c), input: c.req.valid('query') })
      return c.body(data as unknown as ArrayBuffer, 200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': 'attachment; filename="leads.csv"',
      }) as never
    },
  )
  app.openapi(
    route(
      'post',
      '/crm/leads',
      'Enter a lead (a known person becomes a touch; the answer names its owner only)',
      {
        request: body(createLeadInput),
        responses: ok(CreateLeadResultSchema),
      },
    ),
    async (c) => c.json(await createLead({ ctx: apiContext(c), input: c.req.valid('json') }), 200),
  )
  app.openapi(
    route('get', '/crm/lead-views', 'My saved lead list views', {
      responses: ok(itemsOf(SavedViewSchema, 'LeadSavedViews')),
    }),
    async (c) => c.json({ items: await listSavedViews({ ctx: apiContext(c) }) }, 200),
  )
  app.openapi(
    route('post', '/crm/lead-views', 'Save the current list filters under a name (per person)', {
      request: body(savedViewInput),
      responses: ok(SavedViewSchema),
    }),
    async (c) => c.json(await saveView({ ctx: apiContext(c), input: c.req.valid('json') }), 200),
  )
  app.openapi(
    route('delete', '/crm/lead-views/{id}', 'Delete one of my saved views', {
      request: { params: idParam },
      responses: ok(z.object({ ok: z.boolean() })),
    }),
    async (c) => {
      await deleteSavedView({ ctx: apiContext(c), viewId: c.req.valid('param').id })
      return c.json({ ok: true }, 200)
    },
  )
  app.openapi(
    route('get', '/crm/leads/{id}', 'One lead with its timeline and what you may do', {
      request: { params: idParam },
      responses: ok(LeadDetailSchema),
    }),
    async (c) => c.json(await getLead({ ctx: apiContext(c), leadId: c.req.valid('param').id }), 200),
  )
  const step = (
    path: string,
    summary: string,
    run: (
      ctx: ReturnType<typeof apiContext>,
      id: string,
      input: unknown,
    ) => Promise<Parameters<typeof leadDto>[1]>,
    schema?: z.ZodType,
  ) =>
    app.openapi(
      route('post', `/crm/leads/{id}/${path}`, summary, {
        request: { params: idParam, ...(schema ? body(schema) : {}) },
        responses: ok(LeadSchema),
      }),
      async (c) => {
        const ctx = apiContext(c)
        const input = schema ? await c.req.json() : {}
        return c.json(await leadDto(ctx, await run(ctx, c.req.valid('param').id, input)), 200)
      },
    )
  step('accept', 'Accept an assigned lead (owner)', (ctx, leadId) => acceptLead({ ctx, leadId }))
  step('claim', 'Claim a lead from the pool', (ctx, leadId) => claimLead({ ctx, leadId }))
  step(
    'transfer',
    'Hand a lead to a colleague',
    (ctx, leadId, input) => transferLead({ ctx, leadId, input }),
    transferInput,
  )
  step(
    'invalid',
    'Close a lead as invalid with a reason from the tenant list',
    (ctx, leadId, input) => markLeadInvalid({ ctx, leadId, input }),
    invalidInput,
  )
  step(
    'status',
    'Move a lead to contacted or qualified',
    (ctx, leadId, input) => setLeadStatus({ ctx, leadId, input }),
    statusInput,
  )
  step(
    'merge',
    'Merge another lead into this one (all touches kept)',
    (ctx, leadId, input) => mergeLeads({ ctx, leadId, input }),
    mergeInput,
  )
  app.openapi(
    route('get', '/crm/leads/{id}/follow-ups', 'Follow-ups of a lead, newest first', {
      request: { params: idParam },
      responses: ok(itemsOf(LeadFollowUpSchema, 'LeadFollowUps')),
    }),
    async (c) =>
      c.json(
        {
          items: (await listLeadFollowUps({ ctx: apiContext(c), leadId: c.req.valid('param').id })).map(
            toFollowUp,
          ),
        },
        200,
      ),
  )
  app.openapi(
    route('post', '/crm/leads/{id}/follow-ups', 'Log a follow-up (the first one is the first contact)', {
      request: { params: idParam, ...body(leadFollowUpInput) },
      responses: ok(LeadFollowUpSchema),
    }),
    async (c) =>
      c.json(
        toFollowUp(
          await addLeadFollowUp({
            ctx: apiContext(c),
            leadId: c.req.valid('param').id,
            input: c.req.valid('json'),
          }),
        ),
        200,
      ),
  )
  app.openapi(
    route(
      'post',
      '/crm/leads/{id}/convert',
      'Convert to a customer and contact (or link an existing customer), optionally opening an opportunity',
      {
        request: { params: idParam, ...body(convertInput) },
        responses: ok(ConvertResultSchema),
      },
    ),
    async (c) => {
      const ctx = apiContext(c)
      const r = await convertLead({ ctx, leadId: c.req.valid('param').id, input: c.req.valid('json') })
      return c.json({ ...r, lead: await leadDto(ctx, r.lead) }, 200)
    },
  )

  app.openapi(
    route('get', '/crm/channels', 'Lead channels (the defaults exist from the start)', {
      responses: ok(itemsOf(ChannelSchema, 'LeadChannels')),
    }),
    async (c) => c.json({ items: await listChannels({ ctx: apiContext(c) }) }, 200),
  )
  app.openapi(
    route('post', '/crm/channels', 'Add a channel (crm.leads.manage)', {
      request: body(channelInput),
      responses: ok(ChannelSchema),
    }),
    async (c) => c.json(await createChannel({ ctx: apiContext(c), input: c.req.valid('json') }), 200),
  )
  app.openapi(
    route('patch', '/crm/channels/{id}', 'Edit a channel: name, order, preset, mapping, SLA, web form', {
      request: { params: idParam, ...body(updateChannelInput) },
      responses: ok(ChannelSchema),
    }),
    async (c) =>
      c.json(
        await updateChannel({
          ctx: apiContext(c),
          channelId: c.req.valid('param').id,
          input: c.req.valid('json'),
        }),
        200,
      ),
  )
  app.openapi(
    route(
      'post',
      '/crm/channels/{id}/secret',
      'New intake secret, shown once (the old one works 24 h more)',
      {
        request: { params: idParam },
        responses: ok(ChannelSecretSchema),
      },
    ),
    async (c) =>
      c.json(await rotateChannelSecret({ ctx: apiContext(c), channelId: c.req.valid('param').id }), 200),
  )
  app.openapi(
    route(
      'get',
      '/crm/channels/analysis',
      'Channel conversion analysis for a period (rollup-backed, in your scope)',
      {
        request: { query: analysisInput },
        responses: ok(ChannelAnalysisSchema),
      },
    ),
    async (c) => c.json(await analyseChannels({ ctx: apiContext(c), input: c.req.valid('query') }), 200),
  )

  app.openapi(
    route('get', '/crm/campaigns', 'Campaigns with their monthly costs', {
      request: { query: z.object({ channelId: z.string().max(64).optional() }) },
      responses: ok(itemsOf(CampaignSchema, 'LeadCampaigns')),
    }),
    async (c) => {
      const q = c.req.valid('query')
      return c.json(
        {
          items: await listCampaigns({
            ctx: apiContext(c),
            ...(q.channelId ? { channelId: q.channelId } : {}),
          }),
        },
        200,
      )
    },
  )
  app.openapi(
    route('post', '/crm/campaigns', 'Add a campaign (period, budget in cents, UTM values)', {
      request: body(campaignInput),
      responses: ok(CampaignSchema),
    }),
    async (c) => c.json(await createCampaign({ ctx: apiContext(c), input: c.req.valid('json') }), 200),
  )
  app.openapi(
    route('patch', '/crm/campaigns/{id}', 'Edit a campaign', {
      request: { params: idParam, ...body(updateCampaignInput) },
      responses: ok(CampaignSchema),
    }),
    async (c) =>
      c.json(
        await updateCampaign({
          ctx: apiContext(c),
          campaignId: c.req.valid('param').id,
          input: c.req.valid('json'),
        }),
        200,
      ),
  )
  app.openapi(
    route('put', '/crm/campaigns/{id}/costs', 'Set the actual cost of one month (cents)', {
      request: { params: idParam, ...body(campaignCostInput) },
      responses: ok(CampaignSchema),
    }),
    async (c) =>
      c.json(
        await setCampaignCost({
          ctx: apiContext(c),
          campaignId: c.req.valid('param').id,
          input: c.req.valid('json'),
        }),
        200,
      ),
  )

  app.openapi(
    route('get', '/crm/lead-rules', 'Assignment rules in the order they are tried', {
      responses: ok(itemsOf(RuleSchema, 'LeadAssignmentRules')),
    }),
    async (c) => c.json({ items: (await listAssignmentRules({ ctx: apiContext(c) })).map(toRule) }, 200),
  )
  app.openapi(
    route('post', '/crm/lead-rules', 'Add an assignment rule (crm.leads.manage)', {
      request: body(assignmentRuleInput),
      responses: ok(RuleSchema),
    }),
    async (c) =>
      c.json(toRule(await createAssignmentRule({ ctx: apiContext(c), input: c.req.valid('json') })), 200),
  )
  app.openapi(
    route('put', '/crm/lead-rules/{id}', 'Replace an assignment rule', {
      request: { params: idParam, ...body(assignmentRuleInput) },
      responses: ok(RuleSchema),
    }),
    async (c) =>
      c.json(
        toRule(
          await updateAssignmentRule({
            ctx: apiContext(c),
            ruleId: c.req.valid('param').id,
            input: c.req.valid('json'),
          }),
        ),
        200,
      ),
  )
  app.openapi(
    route('delete', '/crm/lead-rules/{id}', 'Delete an assignment rule', {
      request: { params: idParam },
      responses: ok(z.object({ ok: z.boolean() })),
    }),
    async (c) => {
      await deleteAssignmentRule({ ctx: apiContext(c), ruleId: c.req.valid('param').id })
      return c.json({ ok: true }, 200)
    },
  )
  app.openapi(
    route('get', '/crm/lead-settings', 'Invalid reasons, SLA minutes, recycling, form rate limit', {
      responses: ok(LeadSettingsSchema),
    }),
    async (c) => c.json(await getLeadSettings({ ctx: apiContext(c) }), 200),
  )
  app.openapi(
    route('put', '/crm/lead-settings', 'Change the lead settings (crm.leads.manage)', {
      request: body(leadSettingsInput),
      responses: ok(LeadSettingsSchema),
    }),
    async (c) => c.json(await updateLeadSettings({ ctx: apiContext(c), input: c.req.valid('json') }), 200),
  )
  return app
}
