import type { Card, CardButton } from '../chat/model'
import type { CustomerSummary } from '../domain/crm'
import type { Locale } from '../domain/locale'
import { joinList, t, withParen } from './i18n'
import { cardDate } from './time'

/** What the chat customer card shows: the domain's summary of a customer in scope. */
export type CustomerCardView = CustomerSummary

const KIND: Record<string, [string, string]> = {
  call: ['电话', 'Call'],
  visit: ['拜访', 'Visit'],
  message: ['消息', 'Message'],
  email: ['邮件', 'Email'],
  meeting: ['会议', 'Meeting'],
}
export const followUpKindLabel = (locale: Locale, kind: string): string => {
  const k = KIND[kind]
  return k ? t(locale, k[0], k[1]) : kind
}

/**
 * The chat customer card: key facts, the last follow-up, buttons that open the mini-app at the visit and
 * follow-up pages, and a quick follow-up form right in the card.
 */
export function customerCard(v: CustomerCardView, locale: Locale, timeZone: string, note?: string): Card {
  const last = v.lastFollowUp
  return {
    header: {
      title: v.name,
      ...(v.shortName ? { subtitle: v.shortName } : {}),
      color: v.owner ? 'blue' : 'grey',
      tags: [
        ...(v.tier ? [{ text: v.tier, color: 'orange' as const }] : []),
        ...(v.owner ? [] : [{ text: t(locale, '公海', 'Pool'), color: 'grey' as const }]),
      ],
    },
    summary: t(locale, `客户：${v.name}`, `Customer: ${v.name}`),
    link: { path: `/customers/${v.id}` },
    elements: [
      ...(note ? [{ type: 'note' as const, text: note }] : []),
      {
        type: 'fields',
        fields: [
          {
            label: t(locale, '负责人', 'Owner'),
            value: v.owner
              ? v.owner.department
                ? withParen(locale, v.owner.name, v.owner.department)
                : v.owner.name
              : t(locale, '公海', 'Pool'),
            short: true,
          },
          { label: t(locale, '行业', 'Industry'), value: v.industry ?? '—', short: true },
          { label: t(locale, '地区', 'Region'), value: v.region || '—', short: true },
          { label: t(locale, '电话', 'Phone'), value: v.phone ?? '—', short: true },
          { label: t(locale, '联系人', 'Contacts'), value: String(v.contactCount), short: true },
          ...(v.tags.length
            ? [{ label: t(locale, '标签', 'Tags'), value: joinList(locale, v.tags), short: true }]
            : []),
        ],
      },
      {
        type: 'markdown',
        text: last
          ? `**${t(locale, '最近跟进', 'Last follow-up')}** ${cardDate(last.at, timeZone)} · ${followUpKindLabel(locale, last.kind)}${last.author ? ` · ${last.author}` : ''}\n${last.content.slice(0, 200)}`
          : t(locale, '还没有跟进记录', 'No follow-ups yet'),
      },
      {
        type: 'actions',
        buttons: [
          {
            text: t(locale, '记拜访', 'Log visit'),
            style: 'primary',
            link: { path: `/customers/${v.id}/visit` },
          },
          { text: t(locale, '写跟进', 'Log follow-up'), link: { path: `/customers/${v.id}/follow-up` } },
          { text: t(locale, '查看详情', 'Open'), link: { path: `/customers/${v.id}` } },
        ],
      },
      ...(v.owner
        ? [
            {
              type: 'form' as const,
              name: 'quick_follow_up',
              inputs: [
                {
                  type: 'select' as const,
                  name: 'kind',
                  label: t(locale, '方式', 'Kind'),
                  required: true,
                  defaultValue: 'call',
                  options: Object.keys(KIND).map((k) => ({ value: k, label: followUpKindLabel(locale, k) })),
                },
                {
                  type: 'textarea' as const,
                  name: 'content',
                  label: t(locale, '跟进内容', 'What happened'),
                  required: true,
                  maxLength: 2000,
                  placeholder: t(locale, '简要记录本次沟通', 'A short note of this contact'),
                },
                { type: 'datetime' as const, name: 'next', label: t(locale, '下次跟进', 'Next follow-up') },
              ],
              buttons: [
                {
                  text: t(locale, '快速记录', 'Save follow-up'),
                  style: 'primary' as const,
                  action: { a: 'crm.followup.quick', customer: v.id },
                },
              ] satisfies CardButton[],
            },
          ]
        : [
            {
              type: 'actions' as const,
              buttons: [
                {
                  text: t(locale, '领取', 'Claim'),
                  style: 'primary' as const,
                  action: { a: 'crm.customer.claim', customer: v.id },
                },
              ],
            },
          ]),
    ],
  }
}
