import type { Card, CardButton, CardElement } from '../chat/model'
import type { Locale } from '../domain/locale'
import type { TicketCardData, TicketCardKind } from '../domain/service'
import { t } from './i18n'
import { cardDateTime } from './time'

const STATUS: Record<string, [string, string]> = {
  new: ['待分派', 'New'],
  assigned: ['已分派', 'Assigned'],
  in_progress: ['处理中', 'In progress'],
  waiting_customer: ['等待客户', 'Waiting for customer'],
  resolved: ['已解决', 'Resolved'],
  closed: ['已关闭', 'Closed'],
  rejected: ['已驳回', 'Rejected'],
  duplicate: ['重复', 'Duplicate'],
}
const PRIORITY: Record<string, [string, string]> = {
  urgent: ['紧急', 'Urgent'],
  high: ['高', 'High'],
  normal: ['普通', 'Normal'],
  low: ['低', 'Low'],
}

export const ticketStatusLabel = (locale: Locale, s: string): string => {
  const l = STATUS[s]
  return l ? t(locale, l[0], l[1]) : s
}
export const ticketPriorityLabel = (locale: Locale, p: string): string => {
  const l = PRIORITY[p]
  return l ? t(locale, l[0], l[1]) : p
}

const OPEN = new Set(['new', 'assigned', 'in_progress', 'waiting_customer'])

function headline(locale: Locale, d: TicketCardData): { title: string; color: Card['header']['color'] } {
  const s = `${d.number} ${d.subject}`
  const clock =
    d.clock === 'response' ? t(locale, '首次响应', 'first response') : t(locale, '解决', 'resolution')
  const by: Record<TicketCardKind, { title: string; color: Card['header']['color'] }> = {
    assigned: { title: t(locale, `新工单：${s}`, `New ticket: ${s}`), color: 'blue' },
    response_reminder: { title: t(locale, `请尽快响应：${s}`, `Respond soon: ${s}`), color: 'orange' },
    resolution_reminder: { title: t(locale, `请尽快解决：${s}`, `Resolve soon: ${s}`), color: 'orange' },
    escalation: {
      title: t(locale, `工单${clock}超时：${s}`, `Ticket ${clock} overdue: ${s}`),
      color: 'red',
    },
    help: { title: t(locale, `需要协助：${s}`, `Help needed: ${s}`), color: 'orange' },
    resolved: { title: t(locale, `工单已解决：${s}`, `Ticket resolved: ${s}`), color: 'green' },
    low_rating: {
      title: t(locale, `客户不满意，工单已重开：${s}`, `Low rating, ticket reopened: ${s}`),
      color: 'red',
    },
  }
  return by[d.kind]
}

/**
 * A ticket card in chat: key facts and, by why it was sent, the buttons that fit — 接单 / 转派 / 需要协助 for
 * the engineer (one form: the colleague or the note go with the button), 已解决 with a note while working,
 * the 1–5 rating for the requester of a resolved ticket, and a link to the ticket in the mini-app.
 */
export function serviceTicketCard(d: TicketCardData, locale: Locale, timeZone: string, note?: string): Card {
  const head = headline(locale, d)
  const fields = [
    { label: t(locale, '编号', 'Number'), value: d.number, short: true },
    { label: t(locale, '类型', 'Type'), value: d.type, short: true },
    { label: t(locale, '优先级', 'Priority'), value: ticketPriorityLabel(locale, d.priority), short: true },
    { label: t(locale, '状态', 'Status'), value: ticketStatusLabel(locale, d.status), short: true },
    { label: t(locale, '客户', 'Customer'), value: d.customerName ?? '—', short: true },
    {
      label: t(locale, '负责人', 'Owner'),
      value: d.ownerName ?? t(locale, '待派单', 'Unassigned'),
      short: true,
    },
  ]
  if (d.dueAt)
    fields.push({
      label: t(locale, '时限', 'Due'),
      value: cardDateTime(new Date(d.dueAt), timeZone),
      short: true,
    })
  if (d.rating)
    fields.push({
      label: t(locale, '满意度', 'Rating'),
      value: `${'★'.repeat(d.rating)} ${d.rating}/5`,
      short: true,
    })
  const elements: CardElement[] = [{ type: 'fields', fields }]
  if (d.fromName) elements.push({ type: 'note', text: t(locale, `来自 ${d.fromName}`, `From ${d.fromName}`) })
  if (d.note) elements.push({ type: 'markdown', text: d.note })
  if (d.ratingComment) elements.push({ type: 'markdown', text: d.ratingComment })
  if (note) elements.push({ type: 'note', text: note })
  const target = { ticket: d.ticketId }
  const open = OPEN.has(d.status)
  if (open && (d.kind === 'assigned' || d.kind.endsWith('reminder') || d.kind === 'low_rating')) {
    const buttons: CardButton[] = []
    if (d.status === 'assigned' || d.status === 'new')
      buttons.push({
        text: t(locale, '接单', 'Accept'),
        style: 'primary',
        action: { a: 'service.accept', ...target },
      })
    else
      buttons.push({
        text: t(locale, '已解决', 'Resolved'),
        style: 'primary',
        action: { a: 'service.resolve', ...target },
      })
    buttons.push(
      { text: t(locale, '转派', 'Reassign'), action: { a: 'service.transfer', ...target } },
      { text: t(locale, '需要协助', 'Ask for help'), action: { a: 'service.help', ...target } },
    )
    elements.push({
      type: 'form',
      name: `ticket_${d.ticketId}`,
      inputs: [
        { type: 'textarea', name: 'note', label: t(locale, '说明', 'Note'), maxLength: 2000 },
        { type: 'person', name: 'to', label: t(locale, '转派给', 'Reassign to') },
      ],
      buttons,
    })
  }
  if ((d.kind === 'escalation' || d.kind === 'help') && open)
    elements.push({
      type: 'form',
      name: `ticket_${d.ticketId}_dispatch`,
      inputs: [{ type: 'person', name: 'to', label: t(locale, '改派给', 'Dispatch to') }],
      buttons: [
        {
          text: t(locale, '改派', 'Dispatch'),
          style: 'primary',
          action: { a: 'service.transfer', ...target },
        },
      ],
    })
  if (d.kind === 'resolved' && d.status === 'resolved' && !d.rating)
    elements.push({
      type: 'form',
      name: `ticket_${d.ticketId}_rate`,
      inputs: [
        {
          type: 'select',
          name: 'rating',
          label: t(locale, '满意度', 'Satisfaction'),
          required: true,
          options: [5, 4, 3, 2, 1].map((n) => ({ value: String(n), label: `${'★'.repeat(n)} ${n}` })),
        },
        { type: 'textarea', name: 'comment', label: t(locale, '评价', 'Comment'), maxLength: 1000 },
      ],
      buttons: [
        { text: t(locale, '提交评价', 'Rate'), style: 'primary', action: { a: 'service.rate', ...target } },
      ],
    })
  elements.push({
    type: 'actions',
    buttons: [{ text: t(locale, '打开工单', 'Open ticket'), link: { path: `/service/${d.ticketId}` } }],
  })
  return {
    header: {
      title: head.title,
      color: head.color,
      tags: [{ text: ticketStatusLabel(locale, d.status), color: open ? 'blue' : 'grey' }],
    },
    summary: head.title,
    link: { path: `/service/${d.ticketId}` },
    elements,
  }
}

export interface TicketDraft {
  customerQuery: string | null
  customers: Array<{ id: string; name: string }>
  subject: string
  priority: string
  type: string
}

/** The confirm card of a ticket typed in chat: editable subject, customer, type and priority; 创建工单. */
export function ticketConfirmCard(draft: TicketDraft, types: string[], locale: Locale): Card {
  const priorities = ['urgent', 'high', 'normal', 'low']
  return {
    header: { title: t(locale, '确认新工单', 'Confirm the new ticket'), color: 'blue' },
    summary: t(locale, `新工单：${draft.subject}`, `New ticket: ${draft.subject}`),
    elements: [
      ...(draft.customerQuery && draft.customers.length === 0
        ? [
            {
              type: 'note' as const,
              text: t(
                locale,
                `没有找到客户「${draft.customerQuery}」，工单将不关联客户。`,
                `No customer matches “${draft.customerQuery}”; the ticket will have none.`,
              ),
            },
          ]
        : []),
      {
        type: 'form',
        name: 'ticket_new',
        inputs: [
          {
            type: 'text',
            name: 'subject',
            label: t(locale, '问题', 'Issue'),
            required: true,
            defaultValue: draft.subject,
            maxLength: 200,
          },
          ...(draft.customers.length
            ? [
                {
                  type: 'select' as const,
                  name: 'customer',
                  label: t(locale, '客户', 'Customer'),
                  defaultValue: draft.customers[0]?.id ?? '',
                  options: draft.customers.map((c) => ({ value: c.id, label: c.name })),
                },
              ]
            : []),
          {
            type: 'select',
            name: 'type',
            label: t(locale, '类型', 'Type'),
            required: true,
            defaultValue: draft.type,
            options: types.map((x) => ({ value: x, label: x })),
          },
          {
            type: 'select',
            name: 'priority',
            label: t(locale, '优先级', 'Priority'),
            required: true,
            defaultValue: draft.priority,
            options: priorities.map((p) => ({ value: p, label: ticketPriorityLabel(locale, p) })),
          },
          { type: 'textarea', name: 'description', label: t(locale, '描述', 'Description'), maxLength: 5000 },
        ],
        buttons: [
          { text: t(locale, '创建工单', 'Create ticket'), style: 'primary', action: { a: 'service.create' } },
        ],
      },
    ],
  }
}
