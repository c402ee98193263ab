import type { CardColor, CardElement } from '../chat/model'
import { type ApprovalView, displayValue, userName } from '../domain/approvals'
import type { Locale } from '../domain/locale'
import { t } from './i18n'
import { cardDateTime } from './time'

export const instanceStatusText = (locale: Locale, status: string): string =>
  ({
    pending: t(locale, '审批中', 'In review'),
    approved: t(locale, '已通过', 'Approved'),
    rejected: t(locale, '已拒绝', 'Rejected'),
    returned: t(locale, '已退回', 'Returned'),
    withdrawn: t(locale, '已撤回', 'Withdrawn'),
    cancelled: t(locale, '已撤销', 'Cancelled'),
  })[status] ?? status

export const instanceStatusColor = (status: string): CardColor =>
  (
    ({
      pending: 'blue',
      approved: 'green',
      rejected: 'red',
      returned: 'orange',
      withdrawn: 'grey',
      cancelled: 'grey',
    }) as Record<string, CardColor>
  )[status] ?? 'blue'

export const templateName = (view: ApprovalView, locale: Locale): string =>
  locale === 'en' && view.template.nameEn ? view.template.nameEn : view.template.name

/** A flow step's name in the reader's language (its English name when the template gives one). */
export const stepName = (s: { name: string; nameEn?: string | null | undefined }, locale: Locale): string =>
  locale === 'en' && s.nameEn ? s.nameEn : s.name

export const fieldLabel = (f: { label: string; labelEn?: string | undefined }, locale: Locale): string =>
  locale === 'en' && f.labelEn ? f.labelEn : f.label

/** The fields approvers see on a card: those marked `showOnCard`, else the first four with a value. */
export function keyFields(view: ApprovalView, locale: Locale): CardElement {
  const marked = view.template.form.filter((f) => f.showOnCard)
  const chosen = (marked.length > 0 ? marked : view.template.form)
    .filter((f) => view.instance.form[f.key] !== undefined)
    .slice(0, marked.length > 0 ? 8 : 4)
  const names = (kind: 'user' | 'department', id: string) =>
    kind === 'user' ? userName(view, id, locale) : (view.departments.get(id) ?? id)
  return {
    type: 'fields',
    fields: [
      {
        label: t(locale, '申请人', 'Applicant'),
        value: userName(view, view.instance.initiatorId, locale),
        short: true,
      },
      { label: t(locale, '编号', 'No.'), value: view.instance.serialNo, short: true },
      ...(view.instance.external
        ? [
            {
              label: t(locale, '来源', 'Source'),
              value: `${view.instance.external.systemName} · ${view.instance.external.externalId}`,
              short: true,
            },
          ]
        : []),
      ...chosen.map((f) => ({
        label: fieldLabel(f, locale),
        value: displayValue(f, view.instance.form[f.key], locale, names),
        short: f.type !== 'textarea',
      })),
    ],
  }
}

export const detailPath = (instanceId: string) => `/approvals/${instanceId}`

export const formatTime = (d: Date | null | undefined, timeZone: string): string => {
  if (!d) return ''
  return cardDateTime(d, timeZone).slice(5)
}

/** How many uploaded files the request's attachment and image fields hold. */
export function fileCount(view: ApprovalView): number {
  return view.template.form
    .filter((f) => f.type === 'attachment' || f.type === 'image')
    .reduce((n, f) => {
      const v = view.instance.form[f.key]
      return n + (Array.isArray(v) ? v.length : 0)
    }, 0)
}

/**
 * Buttons at the foot of an approval card: the mini-app details, the request's files (they open in the
 * mini-app, which has the session to download them), and the record in its external system.
 */
export function footerButtons(view: ApprovalView, locale: Locale) {
  const ext = view.instance.external
  const files = fileCount(view)
  return [
    { text: t(locale, '查看详情', 'Details'), link: { path: detailPath(view.instance.id) } },
    ...(files > 0
      ? [
          {
            text: t(locale, `查看附件（${files}）`, `Files (${files})`),
            link: { path: `${detailPath(view.instance.id)}?focus=files` },
          },
        ]
      : []),
    ...(ext?.link
      ? [
          {
            text: t(locale, `在${ext.systemName}中查看`, `Open in ${ext.systemName}`),
            link: { url: ext.link },
          },
        ]
      : []),
  ]
}
