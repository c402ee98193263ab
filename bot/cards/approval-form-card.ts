import type { Card, CardElement, FormInput } from '../chat/model'
import type {
  FlowPreview,
  FormField,
  InstanceListItem,
  TemplateSummary,
  TemplateVersion,
} from '../domain/approvals'
import { requestTitle, SIMPLE_FIELD_TYPES } from '../domain/approvals'
import type { Locale } from '../domain/locale'
import { fieldLabel, formatTime, instanceStatusText, stepName } from './approval-common'
import { t, withParen } from './i18n'

const newPath = (key: string) => `/approvals/new?template=${encodeURIComponent(key)}`
const tplName = (tv: { name: string; nameEn: string | null }, locale: Locale) =>
  locale === 'en' && tv.nameEn ? tv.nameEn : tv.name

/** A value the person typed in the chat form, kept when the card is redrawn (after 更新审批流程). */
function typed(values: Record<string, unknown>, name: string): { defaultValue?: string } {
  const v = values[name]
  const s = Array.isArray(v) ? v.filter((x) => typeof x === 'string').join(',') : v
  return typeof s === 'string' && s
    ? { defaultValue: s }
    : typeof s === 'number'
      ? { defaultValue: String(s) }
      : {}
}

/** Chat form inputs for a field; date ranges become two date inputs (`<key>__start`, `<key>__end`). */
function inputsFor(f: FormField, locale: Locale, values: Record<string, unknown> = {}): FormInput[] {
  const label = fieldLabel(f, locale)
  const base = {
    label,
    ...(f.required ? { required: true } : {}),
    ...(f.placeholder ? { placeholder: f.placeholder } : {}),
    ...typed(values, f.key),
  }
  switch (f.type) {
    case 'text':
      return [{ ...base, type: 'text', name: f.key, ...(f.maxLength ? { maxLength: f.maxLength } : {}) }]
    case 'textarea':
      return [{ ...base, type: 'textarea', name: f.key }]
    case 'number':
      return [{ ...base, type: 'number', name: f.key }]
    case 'money':
      return [
        { ...base, type: 'number', name: f.key, label: withParen(locale, label, t(locale, '元', 'CNY')) },
      ]
    case 'date':
      return [{ ...base, type: 'date', name: f.key }]
    case 'dateRange':
      return [
        {
          ...base,
          type: 'date',
          name: `${f.key}__start`,
          label: `${label} · ${t(locale, '开始', 'from')}`,
          ...typed(values, `${f.key}__start`),
        },
        {
          ...base,
          type: 'date',
          name: `${f.key}__end`,
          label: `${label} · ${t(locale, '结束', 'to')}`,
          ...typed(values, `${f.key}__end`),
        },
      ]
    case 'select':
    case 'multiselect':
      return [
        {
          ...base,
          type: f.type,
          name: f.key,
          placeholder: f.placeholder ?? t(locale, '请选择', 'Choose'),
          options: (f.options ?? []).map((o) => ({ value: o.value, label: fieldLabel(o, locale) })),
        },
      ]
    case 'user':
      return [{ ...base, type: 'person', name: f.key }]
    default:
      return []
  }
}

/** 审批流程 as text: one line per node with who takes it, and what in the form could change it. */
export function flowPreviewText(flow: FlowPreview, locale: Locale): string {
  const sep = t(locale, '、', ', ')
  const lines = flow.steps.map((s, i) => {
    const names = s.approvers.map((p) => (locale === 'en' && p.enName) || p.name).join(sep)
    const who =
      s.chooses && s.approvers.length === 0
        ? t(locale, '提交时选择', 'chosen when submitting')
        : s.skipped
          ? t(locale, '无审批人，跳过', 'nobody, skipped')
          : s.toAdmin
            ? t(locale, `管理员 ${names}`, `admin ${names}`)
            : names
    const name = stepName(s, locale)
    return locale === 'en'
      ? `${i + 1}. ${name} (${s.type === 'cc' ? 'CC' : 'approve'}): ${who}`
      : `${i + 1}. ${name}（${s.type === 'cc' ? '抄送' : '审批'}）：${who}`
  })
  const title = `**${t(locale, '审批流程', 'Approval flow')}**`
  return [title, ...(lines.length ? lines : [t(locale, '无需审批', 'No approval needed')])].join('\n')
}

/**
 * The card `发起 请假` answers with: the template's simple fields as a form, submitted by `approval.submit`,
 * and who will approve (`flow`, for the values typed so far: `values`, when redrawn by 更新审批流程).
 * When a required field needs the mini-app (attachments, CRM references, chosen approvers), the card
 * opens the mini-app instead.
 */
export function approvalStartCard(
  tv: TemplateVersion,
  locale: Locale,
  flow?: FlowPreview,
  values: Record<string, unknown> = {},
): Card {
  const name = tplName(tv, locale)
  const complex = tv.form.filter((f) => !SIMPLE_FIELD_TYPES.has(f.type))
  const chooses = tv.flow.nodes.some(
    (n) => (n.type === 'approval' || n.type === 'cc') && n.approvers.kind === 'initiator_chooses',
  )
  const needsApp = chooses || complex.some((f) => f.required)
  const link = { path: newPath(tv.key) }
  const header = { title: t(locale, `发起${name}`, `New ${name} request`), color: 'blue' as const }
  if (needsApp) {
    return {
      header,
      summary: header.title,
      elements: [
        {
          type: 'markdown',
          text: t(
            locale,
            `「${name}」需要上传附件或选择关联记录，请在小程序中填写。`,
            `"${name}" needs attachments or linked records; fill it in the app.`,
          ),
        },
        {
          type: 'actions',
          buttons: [{ text: t(locale, '在小程序中填写', 'Fill in the app'), style: 'primary', link }],
        },
        ...(flow ? [{ type: 'markdown' as const, text: flowPreviewText(flow, locale) }] : []),
      ],
      link,
    }
  }
  const conditional = flow ? flow.conditions.length > 0 : false
  const elements: CardElement[] = [
    {
      type: 'form',
      name: `start_${tv.key}`,
      inputs: tv.form.flatMap((f) => inputsFor(f, locale, values)),
      buttons: [
        {
          text: t(locale, '提交', 'Submit'),
          style: 'primary',
          action: { a: 'approval.submit', tpl: tv.key, tv: tv.version },
        },
        ...(conditional
          ? [
              {
                text: t(locale, '按所填更新审批流程', 'Update the flow'),
                action: { a: 'approval.preview', tpl: tv.key },
              },
            ]
          : []),
      ],
    },
  ]
  if (flow) {
    elements.push({ type: 'markdown', text: flowPreviewText(flow, locale) })
    if (conditional) {
      const what = flow.conditions
        .map((c) => (c.branches.length ? `${c.name}（${c.branches.join('、')}）` : c.name))
        .join('、')
      elements.push({
        type: 'note',
        text: t(
          locale,
          `流程随填写内容变化：${what}。填写后点「按所填更新审批流程」查看。`,
          'The flow depends on what you fill in; fill in the form and tap "Update the flow".',
        ),
      })
    }
  }
  if (complex.length > 0) {
    // Fields a chat form cannot hold (files, linked records) are named, with a link to finish in the app.
    const names = complex.map((f) => fieldLabel(f, locale)).join(t(locale, '、', ', '))
    elements.push(
      {
        type: 'markdown',
        text: t(
          locale,
          `「${names}」需在小程序中填写或上传。`,
          `${names}: add in the app (files and linked records cannot be added in chat).`,
        ),
      },
      {
        type: 'actions',
        buttons: [
          { text: t(locale, `在小程序中填写（含${names}）`, `Fill in the app (with ${names})`), link },
        ],
      },
    )
  }
  return { header, summary: header.title, elements, link }
}

/** Turns chat form values (strings from the platform) into the typed values the engine validates. */
export function chatFormToValues(
  fields: readonly FormField[],
  raw: Record<string, unknown>,
  userIdOf: (platformId: string) => string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const str = (v: unknown): string | undefined =>
    typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : undefined
  for (const f of fields) {
    const v = raw[f.key]
    switch (f.type) {
      case 'number': {
        const s = str(v)
        if (s) out[f.key] = Number.isFinite(Number(s)) ? Number(s) : s
        break
      }
      case 'money': {
        const s = str(v)?.replace(/[,，¥￥\s]/g, '')
        if (s) out[f.key] = /^\d+(\.\d{1,2})?$/.test(s) ? Math.round(Number(s) * 100) : s
        break
      }
      case 'date': {
        const s = str(v)
        if (s) out[f.key] = s.slice(0, 10)
        break
      }
      case 'dateRange': {
        const start = str(raw[`${f.key}__start`])
        const end = str(raw[`${f.key}__end`])
        if (start || end) out[f.key] = { start: start?.slice(0, 10) ?? '', end: end?.slice(0, 10) ?? '' }
        break
      }
      case 'multiselect':
        if (Array.isArray(v)) out[f.key] = v
        else if (typeof v === 'string' && v)
          out[f.key] = v
            .split(/[,，]/)
            .map((x) => x.trim())
            .filter(Boolean)
        break
      case 'user': {
        const s = Array.isArray(v) ? str(v[0]) : str(v)
        if (s) out[f.key] = userIdOf(s)
        break
      }
      default:
        if (v !== undefined && v !== null && v !== '') out[f.key] = v
    }
  }
  return out
}

/** `发起` without a template: every template with a button to its form. */
export function approvalTemplatesCard(templates: TemplateSummary[], locale: Locale, note?: string): Card {
  return {
    header: { title: t(locale, '发起审批', 'Start a request'), color: 'blue' },
    summary: t(locale, '选择审批类型', 'Choose a request type'),
    elements: [
      ...(note ? [{ type: 'note' as const, text: note }] : []),
      templates.length
        ? {
            type: 'actions',
            buttons: templates.map((tp) => ({
              text: locale === 'en' && tp.nameEn ? tp.nameEn : tp.name,
              action: { a: 'approval.form', tpl: tp.key },
            })),
          }
        : {
            type: 'markdown',
            text: t(locale, '还没有审批模板，请联系管理员。', 'No templates yet; ask an admin.'),
          },
    ],
  }
}

/** `我的审批` / `todo`: what waits for me, each with one-tap approve and a link to the details. */
export function approvalTodoCard(
  items: InstanceListItem[],
  total: number,
  locale: Locale,
  timeZone: string,
): Card {
  const en = locale === 'en'
  const elements: CardElement[] = []
  if (items.length === 0) {
    elements.push({
      type: 'markdown',
      text: t(locale, '没有待你审批的事项 🎉', 'Nothing waiting for you 🎉'),
    })
  }
  for (const it of items) {
    elements.push({
      type: 'markdown',
      text: `**${requestTitle(it, locale)}**\n${(en && it.templateNameEn) || it.templateName} · ${(en && it.initiatorEnName) || it.initiatorName} · ${formatTime(it.createdAt, timeZone)} · ${instanceStatusText(locale, it.status)}`,
    })
    elements.push({
      type: 'actions',
      buttons: [
        ...(it.myTaskId
          ? [
              {
                text: t(locale, '同意', 'Approve'),
                style: 'primary' as const,
                action: { a: 'approval.approve', task: it.myTaskId, v: it.myTaskVersion ?? 1, from: 'todo' },
              },
            ]
          : []),
        { text: t(locale, '查看', 'Open'), link: { path: `/approvals/${it.id}` } },
      ],
    })
  }
  elements.push({
    type: 'note',
    text: t(locale, `共 ${total} 条待审批`, `${total} waiting in total`),
  })
  elements.push({
    type: 'actions',
    buttons: [
      { text: t(locale, '刷新', 'Refresh'), action: { a: 'approval.todo' } },
      { text: t(locale, '全部审批', 'All approvals'), link: { path: '/approvals?box=todo' } },
    ],
  })
  return {
    header: { title: t(locale, '待我审批', 'Waiting for me'), color: total ? 'orange' : 'green' },
    summary: t(locale, `${total} 条待审批`, `${total} to approve`),
    elements,
  }
}

/** The answer to a chat submission: it is in, and the progress card follows. */
export function approvalSubmittedCard(
  title: string,
  serialNo: string,
  instanceId: string,
  locale: Locale,
): Card {
  return {
    header: { title: t(locale, '已提交', 'Submitted'), color: 'green' },
    summary: title,
    elements: [
      { type: 'markdown', text: `**${title}**\n${t(locale, '编号', 'No.')} ${serialNo}` },
      {
        type: 'note',
        text: t(locale, '审批进度会在另一张卡片中实时更新。', 'Progress updates in a separate card.'),
      },
      {
        type: 'actions',
        buttons: [{ text: t(locale, '查看详情', 'Details'), link: { path: `/approvals/${instanceId}` } }],
      },
    ],
  }
}
