import type { Card, CardButton, CardElement } from '../chat/model'
import { type ChannelAnalysis, channelNameIn, invalidReasonIn, type LeadCardView } from '../domain/leads'
import type { Locale } from '../domain/locale'
import { t, withParen } from './i18n'
import { cardDateTime } from './time'

export type LeadCardKind = 'assigned' | 'sla_reminder' | 'sla_escalation' | 'recycled' | 'plain'

const STATUS: Record<LeadCardView['status'], [string, string]> = {
  new: ['新线索', 'New'],
  contacted: ['已联系', 'Contacted'],
  qualified: ['已确认需求', 'Qualified'],
  converted: ['已转化', 'Converted'],
  invalid: ['无效', 'Invalid'],
}

/** `12-03 07:30` in the render's time zone (the tenant's). */
const fmtTime = (iso: string | null, timeZone: string): string =>
  iso ? cardDateTime(new Date(iso), timeZone).slice(5) : '—'

/** Money in yuan for cards (cents in, `¥1,234.50` out). */
export const yuan = (cents: number | null): string =>
  cents === null
    ? '—'
    : `¥${(cents / 100).toLocaleString('zh-CN', { minimumFractionDigits: 0, maximumFractionDigits: 2 })}`

const pct = (r: number | null): string => (r === null ? '—' : `${Math.round(r * 1000) / 10}%`)

/**
 * The lead card in chat: key facts, source, owner and SLA; for an open lead the owner's buttons 接受 /
 * 写跟进 / 转交 / 无效 (one form: the note, the colleague or the reason go with the button tapped) and a link
 * to the lead in the mini-app. `kind` sets the headline (new assignment, SLA reminder, escalation to the
 * manager, recycled to the pool).
 */
export function leadCard(
  v: LeadCardView,
  locale: Locale,
  timeZone: string,
  kind: LeadCardKind = 'plain',
  note?: string,
): Card {
  const header = {
    assigned: { title: t(locale, `新线索：${v.name}`, `New lead: ${v.name}`), color: 'blue' as const },
    sla_reminder: {
      title: t(locale, `请尽快联系：${v.name}`, `Contact soon: ${v.name}`),
      color: 'orange' as const,
    },
    sla_escalation: {
      title: t(locale, `线索超时未联系：${v.name}`, `Lead not contacted in time: ${v.name}`),
      color: 'red' as const,
    },
    recycled: {
      title: t(locale, `线索已收回线索池：${v.name}`, `Lead back in the pool: ${v.name}`),
      color: 'grey' as const,
    },
    plain: { title: t(locale, `线索：${v.name}`, `Lead: ${v.name}`), color: 'blue' as const },
  }[kind]
  const [zh, en] = STATUS[v.status]
  const open = v.status !== 'converted' && v.status !== 'invalid'
  const channel = channelNameIn(v.channelName, locale)
  const source = v.campaignName ? `${channel} · ${v.campaignName}` : channel
  const fields = [
    { label: t(locale, '姓名', 'Name'), value: v.name, short: true },
    { label: t(locale, '公司', 'Company'), value: v.company ?? '—', short: true },
    {
      label: t(locale, '电话', 'Phone'),
      value: v.phone
        ? `${v.phone}${v.phoneValid ? '' : t(locale, '（格式存疑）', ' (looks malformed)')}`
        : '—',
      short: true,
    },
    { label: t(locale, '地区', 'Region'), value: v.region ?? '—', short: true },
    { label: t(locale, '意向', 'Interest'), value: v.productInterest ?? '—', short: true },
    { label: t(locale, '来源', 'Source'), value: source, short: true },
    { label: t(locale, '负责人', 'Owner'), value: v.ownerName ?? t(locale, '线索池', 'Pool'), short: true },
  ]
  if (v.slaState === 'pending' || v.slaState === 'breached')
    fields.push({
      label: t(locale, '首次联系时限', 'First contact due'),
      value: `${fmtTime(v.slaDueAt, timeZone)}${v.slaState === 'breached' ? t(locale, '（已超时）', ' (breached)') : ''}`,
      short: true,
    })
  const elements: CardElement[] = [{ type: 'fields', fields }]
  if (v.message) elements.push({ type: 'markdown', text: v.message })
  if (note) elements.push({ type: 'note', text: note })
  if (v.status === 'invalid' && v.invalidReason)
    elements.push({
      type: 'note',
      text: t(locale, `无效原因：${v.invalidReason}`, `Invalid: ${invalidReasonIn(v.invalidReason, locale)}`),
    })
  const target = { lead: v.id, seq: v.assignmentSeq }
  if (open && v.ownerId && kind !== 'recycled') {
    const buttons: CardButton[] = [
      {
        text: t(locale, '写跟进', 'Log follow-up'),
        style: 'primary',
        action: { a: 'lead.followup', ...target },
      },
      { text: t(locale, '转交', 'Transfer'), action: { a: 'lead.transfer', ...target } },
      {
        text: t(locale, '无效', 'Invalid'),
        style: 'danger',
        action: { a: 'lead.invalid', ...target },
        confirm: {
          title: t(locale, '标记为无效？', 'Mark invalid?'),
          text: t(locale, '请先在上方选择无效原因', 'Pick a reason above first'),
        },
      },
    ]
    elements.push({
      type: 'form',
      name: `lead_${v.id}`,
      inputs: [
        { type: 'textarea', name: 'content', label: t(locale, '跟进内容', 'Follow-up'), maxLength: 2000 },
        { type: 'person', name: 'to', label: t(locale, '转交给', 'Transfer to') },
        {
          type: 'select',
          name: 'reason',
          label: t(locale, '无效原因', 'Invalid reason'),
          options: v.invalidReasons.map((r) => ({ value: r, label: invalidReasonIn(r, locale) })),
        },
      ],
      buttons,
    })
  }
  const actions: CardButton[] = []
  if (open && v.ownerId && !v.acceptedAt && kind !== 'sla_escalation' && kind !== 'recycled')
    actions.push({
      text: t(locale, '接受', 'Accept'),
      style: 'primary',
      action: { a: 'lead.accept', ...target },
    })
  if (open && !v.ownerId)
    actions.push({
      text: t(locale, '领取', 'Claim'),
      style: 'primary',
      action: { a: 'lead.claim', lead: v.id },
    })
  actions.push({ text: t(locale, '打开线索', 'Open lead'), link: { path: `/leads/${v.id}` } })
  elements.push({ type: 'actions', buttons: actions })
  return {
    header: { ...header, tags: [{ text: t(locale, zh, en), color: open ? 'blue' : 'grey' }] },
    summary: header.title,
    link: { path: `/leads/${v.id}` },
    elements,
  }
}

export interface ParsedLeadDraft {
  name: string
  phone: string | null
  email: string | null
  company: string | null
  message: string | null
}

/** The confirm card of a lead typed in chat: editable fields, the channel, and 创建线索. */
export function leadConfirmCard(
  draft: ParsedLeadDraft,
  channels: Array<{ id: string; name: string }>,
  defaultChannelId: string,
  locale: Locale,
): Card {
  return {
    header: { title: t(locale, '确认新线索', 'Confirm the new lead'), color: 'blue' },
    summary: t(locale, `新线索：${draft.name}`, `New lead: ${draft.name}`),
    elements: [
      {
        type: 'form',
        name: 'lead_new',
        inputs: [
          {
            type: 'text',
            name: 'name',
            label: t(locale, '姓名', 'Name'),
            required: true,
            defaultValue: draft.name,
            maxLength: 100,
          },
          {
            type: 'text',
            name: 'phone',
            label: t(locale, '电话', 'Phone'),
            defaultValue: draft.phone ?? '',
            maxLength: 40,
          },
          {
            type: 'text',
            name: 'email',
            label: t(locale, '邮箱', 'Email'),
            defaultValue: draft.email ?? '',
            maxLength: 200,
          },
          {
            type: 'text',
            name: 'company',
            label: t(locale, '公司', 'Company'),
            defaultValue: draft.company ?? '',
            maxLength: 200,
          },
          {
            type: 'textarea',
            name: 'message',
            label: t(locale, '需求', 'Need'),
            defaultValue: draft.message ?? '',
            maxLength: 2000,
          },
          {
            type: 'select',
            name: 'channel',
            label: t(locale, '渠道', 'Channel'),
            required: true,
            defaultValue: defaultChannelId,
            options: channels.map((c) => ({ value: c.id, label: channelNameIn(c.name, locale) })),
          },
        ],
        buttons: [
          { text: t(locale, '创建线索', 'Create lead'), style: 'primary', action: { a: 'lead.create' } },
        ],
      },
    ],
  }
}

/** The channel figures card (「渠道」): per channel leads, conversion, cost per lead; link to the full page. */
export function channelsCard(a: ChannelAnalysis, locale: Locale): Card {
  const rows = a.rows.filter((r) => r.leads > 0 || (r.costCents ?? 0) > 0)
  const lines = rows.map((r) => {
    const cost = a.allLeads
      ? t(locale, ` · 单条成本 ${yuan(r.costPerLeadCents)}`, ` · cost/lead ${yuan(r.costPerLeadCents)}`)
      : ''
    return t(
      locale,
      `**${r.channelName}**：线索 ${r.leads} · 联系 ${pct(r.contactRate)} · 转化 ${r.converted}（${pct(r.conversionRate)}）${cost}`,
      `**${channelNameIn(r.channelName, locale)}**: ${r.leads} leads · contacted ${pct(r.contactRate)} · converted ${r.converted} (${pct(r.conversionRate)})${cost}`,
    )
  })
  const tot = a.total
  return {
    header: {
      title: t(locale, '渠道转化分析', 'Channel conversion'),
      subtitle: `${a.from} ~ ${a.to}`,
      color: 'turquoise',
    },
    summary: t(
      locale,
      `渠道转化：线索 ${tot.leads}，转化 ${tot.converted}`,
      `Channels: ${tot.leads} leads, ${tot.converted} converted`,
    ),
    link: { path: '/leads/channels' },
    elements: [
      {
        type: 'fields',
        fields: [
          { label: t(locale, '线索', 'Leads'), value: String(tot.leads), short: true },
          {
            label: t(locale, '转化', 'Converted'),
            value: withParen(locale, String(tot.converted), pct(tot.conversionRate)),
            short: true,
          },
          ...(a.allLeads
            ? [
                { label: t(locale, '花费', 'Cost'), value: yuan(tot.costCents), short: true },
                {
                  label: t(locale, '单条转化成本', 'Cost/conversion'),
                  value: yuan(tot.costPerConvertedCents),
                  short: true,
                },
              ]
            : []),
          { label: t(locale, '超时率', 'SLA breach'), value: pct(tot.slaBreachRate), short: true },
          { label: t(locale, '垃圾提交', 'Spam'), value: String(tot.spam), short: true },
        ],
      },
      {
        type: 'markdown',
        text: lines.length
          ? lines.join('\n')
          : t(locale, '这段时间还没有线索。', 'No leads in this period yet.'),
      },
      ...(a.allLeads
        ? []
        : [{ type: 'note' as const, text: t(locale, '仅含你负责的线索', 'Your own leads only') }]),
      {
        type: 'actions',
        buttons: [{ text: t(locale, '查看完整分析', 'Full analysis'), link: { path: '/leads/channels' } }],
      },
    ],
  }
}
