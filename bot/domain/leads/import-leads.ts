import { and, eq } from 'drizzle-orm'
import { z } from 'zod'
import { type ImportRowError, importJobs, leadCampaigns } from '../../../db/schema'
import { type ServiceContext, withTransaction } from '../context'
import { LEAD_COLUMNS, mapHeaders, type Sheet } from '../crm/spreadsheet'
import { DomainError, ForbiddenError } from '../errors'
import { loadLeadAccess } from './access'
import { type IntakeRequest, intakeLeads } from './internal/intake-lead'
import { listChannels } from './manage-channels'
import { leadFields } from './schemas'

const BATCH = 500
const rowSchema = z.object({ ...leadFields, sourceLeadId: z.string().trim().max(200).nullish() })

/** Only lead managers (marketing) import lead lists: the rows go through the assignment rules. */
export async function requireLeadImporter(ctx: ServiceContext): Promise<void> {
  if (!(await loadLeadAccess(ctx)).canManage)
    throw new ForbiddenError('only lead managers may import leads / 仅线索管理员可导入线索')
}

interface PreparedLead {
  row: number
  req: IntakeRequest
}

/**
 * Reads the sheet's rows into intake requests: each row validated like a lead typed in (a bad field is a
 * report line naming the row and the field), the channel found by name or code and the campaign by name
 * within it (an unknown one is a report line).
 */
async function prepareLeads(
  ctx: ServiceContext,
  sheet: Sheet,
  fail: (row: number, field: string, message: string) => void,
): Promise<PreparedLead[]> {
  const cols = mapHeaders(sheet.headers, LEAD_COLUMNS)
  const cell = (cells: string[], key: string): string | undefined => {
    const i = cols.get(key)
    const v = i === undefined ? undefined : cells[i]?.trim()
    return v ? v : undefined
  }
  const channels = await listChannels({ ctx })
  const channelOf = new Map<string, string>()
  for (const c of channels) {
    channelOf.set(c.name.trim().toLowerCase(), c.id)
    if (c.code) channelOf.set(c.code.toLowerCase(), c.id)
  }
  const campaigns = await ctx.db
    .select({ id: leadCampaigns.id, name: leadCampaigns.name, channelId: leadCampaigns.channelId })
    .from(leadCampaigns)
    .where(eq(leadCampaigns.tenantId, ctx.tenantId))
  const campaignOf = new Map(campaigns.map((c) => [`${c.channelId}|${c.name.trim().toLowerCase()}`, c.id]))
  const out: PreparedLead[] = []
  for (const [i, cells] of sheet.rows.entries()) {
    const row = i + 2
    if (cells.every((c) => !c?.trim())) continue
    const parsed = rowSchema.safeParse({
      name: cell(cells, 'name') ?? '',
      company: cell(cells, 'company'),
      phone: cell(cells, 'phone'),
      email: cell(cells, 'email'),
      region: cell(cells, 'region'),
      productInterest: cell(cells, 'productInterest'),
      message: cell(cells, 'message'),
      sourceLeadId: cell(cells, 'sourceLeadId'),
    })
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      fail(row, issue?.path.map(String).join('.') || 'row', issue?.message ?? 'invalid')
      continue
    }
    const d = parsed.data
    if (!d.phone && !d.email) {
      fail(row, 'phone', '请填写电话或邮箱 / a phone or an email is required')
      continue
    }
    const channelName = cell(cells, 'channel')
    const channelId = channelName ? channelOf.get(channelName.toLowerCase()) : undefined
    if (!channelId) {
      fail(
        row,
        'channel',
        channelName
          ? `没有渠道「${channelName}」 / no channel ${channelName}`
          : '请填写渠道 / channel is required',
      )
      continue
    }
    const campaignName = cell(cells, 'campaign')
    const campaignId = campaignName ? campaignOf.get(`${channelId}|${campaignName.toLowerCase()}`) : null
    if (campaignName && !campaignId) {
      fail(
        row,
        'campaign',
        `该渠道下没有活动「${campaignName}」 / no campaign ${campaignName} in this channel`,
      )
      continue
    }
    const { sourceLeadId, ...fields } = d
    out.push({
      row,
      req: {
        fields,
        channelId,
        campaignId: campaignId ?? null,
        via: 'import',
        ...(sourceLeadId ? { sourceLeadId } : {}),
      },
    })
  }
  return out
}

/**
 * Runs a lead import job (CSV or XLSX, parsed by the customer import's parser) as its creator: rows go
 * through the same intake as every other lead, in batches (dedupe against leads and customers, assignment
 * rules with quotas, the assignee's card). The same person already a lead becomes a touch on it and is a
 * report line saying so; a source id already imported is a replay. `atomic`: any invalid row and nothing
 * lands.
 */
export async function runLeadImport({
  ctx,
  jobId,
  mode,
  sheet,
  errors,
  onProgress,
}: {
  ctx: ServiceContext
  jobId: string
  mode: 'per_row' | 'atomic'
  sheet: Sheet
  errors: ImportRowError[]
  onProgress?: (processed: number, total: number) => void
}): Promise<{ ok: number; rollback: boolean }> {
  await requireLeadImporter(ctx)
  const fail = (row: number, field: string, message: string) => errors.push({ row, field, message })
  const prepared = await prepareLeads(ctx, sheet, fail)
  const total = sheet.rows.length
  if (mode === 'atomic' && errors.length > 0) return { ok: 0, rollback: true }
  let ok = 0
  const report = (p: PreparedLead, outcome: 'created' | 'touch' | 'replay') => {
    if (outcome === 'created') ok++
    else if (outcome === 'touch')
      fail(p.row, 'phone', '已有该联系人的线索，记为一次来访 / already a lead: recorded as a touch on it')
    else fail(p.row, 'sourceLeadId', '该来源线索已导入 / this source lead was already imported')
  }
  const writeBatch = async (c: ServiceContext, batch: PreparedLead[]) => {
    try {
      const results = await withTransaction(c, (_tx, txCtx) =>
        intakeLeads(
          txCtx,
          batch.map((b) => b.req),
        ),
      )
      for (const [i, r] of results.entries()) {
        const p = batch[i]
        if (p) report(p, r.outcome)
      }
    } catch (err) {
      if (!(err instanceof DomainError) || mode === 'atomic') throw err
      const only = batch.length === 1 ? batch[0] : undefined
      if (only) {
        fail(only.row, String(err.details.field ?? 'row'), err.message)
        return
      }
      // One bad row fails its batch: take the batch row by row so only that row fails.
      for (const p of batch) await writeBatch(c, [p])
    }
  }
  if (mode === 'atomic') {
    await withTransaction(ctx, async (_tx, txCtx) => {
      for (let i = 0; i < prepared.length; i += BATCH) await writeBatch(txCtx, prepared.slice(i, i + BATCH))
    })
    onProgress?.(total, total)
    return { ok, rollback: false }
  }
  for (let i = 0; i < prepared.length; i += BATCH) {
    const batch = prepared.slice(i, i + BATCH)
    await writeBatch(ctx, batch)
    const processed = Math.min(total, (batch[batch.length - 1]?.row ?? 1) - 1)
    await ctx.db
      .update(importJobs)
      .set({ processedRows: processed, okRows: ok, errorRows: new Set(errors.map((e) => e.row)).size })
      .where(and(eq(importJobs.tenantId, ctx.tenantId), eq(importJobs.id, jobId)))
    onProgress?.(processed, total)
  }
  return { ok, rollback: false }
}
