import type { Card, CardElement } from '../chat/model'
import type { Locale } from '../domain/locale'
import type { OpportunityDto, StageSetView } from '../domain/opportunities'
import type { OverdueReminder } from '../domain/payments'
import { joinList, labelled, t } from './i18n'

/** ¥12,345.00 from integer cents. */
export const yuan = (cents: number): string =>
  `¥${(cents / 100).toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`

export const PAYMENT_METHOD_LABELS: Record<string, { zh: string; en: string }> = {
  bank_transfer: { zh: '银行转账', en: 'Bank transfer' },
  cash: { zh: '现金', en: 'Cash' },
  cheque: { zh: '支票', en: 'Cheque' },
  alipay: { zh: '支付宝', en: 'Alipay' },
  wechat: { zh: '微信支付', en: 'WeChat Pay' },
  other: { zh: '其他', en: 'Other' },
}

/**
 * The overdue 回款 reminder (to the owner and their manager): what is late, by how much, and a form whose
 * 「登记回款」 button records the payment against the instalment.
 */
export function paymentOverdueCard(
  v: OverdueReminder,
  locale: Locale,
  role: 'owner' | 'manager' = 'owner',
): Card {
  return {
    header: {
      title: t(locale, '回款逾期提醒', 'Overdue payment'),
      subtitle: `${v.contractNumber} · ${v.customerName}`,
      color: 'red',
      tags: [{ text: t(locale, `逾期 ${v.daysOverdue} 天`, `${v.daysOverdue} days late`), color: 'red' }],
    },
    summary: t(
      locale,
      `${v.customerName} 第 ${v.seq} 期回款逾期 ${v.daysOverdue} 天`,
      `${v.customerName}: instalment ${v.seq} is ${v.daysOverdue} days late`,
    ),
    link: { path: `/deals/contracts/${v.contractId}` },
    elements: [
      {
        type: 'fields',
        fields: [
          { label: t(locale, '合同', 'Contract'), value: `${v.contractNumber} ${v.contractName}` },
          {
            label: t(locale, '期数', 'Instalment'),
            value: t(locale, `第 ${v.seq} 期`, `#${v.seq}`),
            short: true,
          },
          { label: t(locale, '应收日期', 'Due'), value: v.dueDate, short: true },
          { label: t(locale, '未收金额', 'Open'), value: yuan(v.outstandingCents), short: true },
          {
            label: t(locale, '负责人', 'Owner'),
            value: (locale === 'en' && v.ownerEnName) || v.ownerName,
            short: true,
          },
        ],
      },
      ...(role === 'manager'
        ? [
            {
              type: 'note' as const,
              text: t(locale, '你是负责人的直属上级，抄送给你。', 'Sent to you as the owner’s manager.'),
            },
          ]
        : []),
      {
        type: 'form',
        name: `pay-${v.instalmentId}`,
        inputs: [
          {
            type: 'number',
            name: 'amount',
            label: t(locale, '回款金额（元）', 'Amount (CNY)'),
            required: true,
            defaultValue: (v.outstandingCents / 100).toFixed(2),
          },
          {
            type: 'select',
            name: 'method',
            label: t(locale, '回款方式', 'Method'),
            required: true,
            defaultValue: 'bank_transfer',
            options: Object.entries(PAYMENT_METHOD_LABELS).map(([value, l]) => ({
              value,
              label: t(locale, l.zh, l.en),
            })),
          },
          { type: 'date', name: 'receivedOn', label: t(locale, '回款日期', 'Received on') },
        ],
        buttons: [
          {
            text: t(locale, '登记回款', 'Register payment'),
            style: 'primary',
            action: { a: 'sales.payment.register', contract: v.contractId, instalment: v.instalmentId },
          },
        ],
      },
    ],
  }
}

/** After a payment was registered from a card. */
export function paymentRecordedCard(
  v: {
    contractNumber: string
    customerName: string
    amountCents: number
    outstandingCents: number
    paidInstalments: number
    totalInstalments: number
  },
  locale: Locale,
): Card {
  return {
    header: {
      title: t(locale, '✅ 回款已登记', '✅ Payment registered'),
      subtitle: v.contractNumber,
      color: 'green',
    },
    summary: t(
      locale,
      `${v.customerName} 回款 ${yuan(v.amountCents)}`,
      `${v.customerName}: ${yuan(v.amountCents)} received`,
    ),
    elements: [
      {
        type: 'fields',
        fields: [
          { label: t(locale, '客户', 'Customer'), value: v.customerName, short: true },
          { label: t(locale, '本次回款', 'This payment'), value: yuan(v.amountCents), short: true },
          { label: t(locale, '欠款', 'Outstanding'), value: yuan(v.outstandingCents), short: true },
          {
            label: t(locale, '回款进度', 'Progress'),
            value: t(
              locale,
              `${v.paidInstalments}/${v.totalInstalments} 期`,
              `${v.paidInstalments} of ${v.totalInstalments} instalments`,
            ),
            short: true,
          },
        ],
      },
    ],
  }
}

const statusLabel = (o: OpportunityDto, locale: Locale): string =>
  o.status === 'won'
    ? t(locale, '赢单', 'Won')
    : o.status === 'lost'
      ? t(locale, '输单', 'Lost')
      : t(locale, '进行中', 'Open')

/**
 * The opportunity card: stage, amount, probability with its top factors, close date; the open stages of its
 * set as buttons to move it (the handler re-checks scope and the set). `note` heads the card after an event.
 */
export function opportunityCard(
  o: OpportunityDto,
  set: StageSetView | undefined,
  locale: Locale,
  note?: string,
): Card {
  const elements: CardElement[] = []
  if (note) elements.push({ type: 'markdown', text: note })
  elements.push({
    type: 'fields',
    fields: [
      { label: t(locale, '客户', 'Customer'), value: o.customer.name, short: true },
      {
        label: t(locale, '阶段', 'Stage'),
        value: locale === 'en' ? (o.stage.nameEn ?? o.stage.name) : o.stage.name,
        short: true,
      },
      { label: t(locale, '金额', 'Amount'), value: yuan(o.amountCents), short: true },
      { label: t(locale, '赢率', 'Win probability'), value: `${o.winProbability}%`, short: true },
      { label: t(locale, '预计成交', 'Expected close'), value: o.expectedCloseDate ?? '—', short: true },
      { label: t(locale, '负责人', 'Owner'), value: o.owner.name, short: true },
    ],
  })
  if (o.probabilityFactors.length) {
    elements.push({
      type: 'note',
      text: o.probabilityFactors
        .slice(0, 3)
        .map((f) => {
          const [name, value] =
            locale === 'en' ? [f.factorEn ?? f.factor, f.valueEn ?? f.value] : [f.factor, f.value]
          return `${name}: ${value} ${f.effect >= 0 ? '+' : ''}${f.effect}%`
        })
        .join('；'),
    })
  }
  if (o.competitors.length)
    elements.push({
      type: 'note',
      text: labelled(locale, t(locale, '竞争对手', 'Competitors'), joinList(locale, o.competitors)),
    })
  if (o.status === 'open' && set) {
    const next = set.stages.filter((s) => s.kind === 'open' && s.id !== o.stage.id)
    const won = set.stages.find((s) => s.kind === 'won')
    elements.push({
      type: 'actions',
      buttons: [
        ...next.map((s) => ({
          text: locale === 'en' ? (s.nameEn ?? s.name) : s.name,
          action: { a: 'sales.opportunity.stage', opp: o.id, stage: s.id, v: o.version },
        })),
        ...(won
          ? [
              {
                text: t(locale, '赢单', 'Won'),
                style: 'primary' as const,
                action: { a: 'sales.opportunity.stage', opp: o.id, stage: won.id, v: o.version },
                confirm: { title: t(locale, '确认赢单', 'Mark as won'), text: o.name },
              },
            ]
          : []),
      ],
    })
  }
  return {
    header: {
      title: o.name,
      subtitle: o.customer.name,
      color: o.status === 'won' ? 'green' : o.status === 'lost' ? 'grey' : 'blue',
      tags: [{ text: statusLabel(o, locale) }],
    },
    summary: labelled(locale, t(locale, '商机', 'Deal'), o.name),
    link: { path: `/deals/${o.id}` },
    elements,
  }
}

/** Pick list when a chat query matches several opportunities. */
export function opportunityPickCard(q: string, list: OpportunityDto[], locale: Locale): Card {
  return {
    header: { title: t(locale, `「${q}」相关商机`, `Deals matching "${q}"`), color: 'blue' },
    elements: [
      {
        type: 'actions',
        buttons: list.slice(0, 8).map((o) => ({
          text: `${o.name} · ${yuan(o.amountCents)}`,
          action: { a: 'sales.opportunity.show', opp: o.id },
        })),
      },
    ],
  }
}
