import { t } from '../cards/i18n'
import { ticketConfirmCard } from '../cards/service-card'
import { draftTicket } from '../domain/service'
import type { CommandSpec } from './types'

/** 「工单 华东精密 设备异响 紧急」/ `ticket Acme noisy pump urgent`: a confirm card, nothing stored yet. */
export const ticketCommand: CommandSpec = {
  key: 'service.ticket',
  names: { 'zh-CN': ['工单', '报修', '售后'], en: ['ticket'] },
  summary: {
    'zh-CN': '提交售后工单（客户 问题 优先级）',
    en: 'Open a service ticket (customer issue priority)',
  },
  example: { 'zh-CN': '工单 华东精密 设备异响 紧急', en: 'ticket Acme noisy pump urgent' },
  run: async ({ ctx, locale, args }) => {
    const draft = await draftTicket({ ctx, text: args })
    if (!draft)
      return {
        text: t(
          locale,
          '请这样写：工单 华东精密 设备异响 紧急',
          'Write it like: ticket Acme noisy pump urgent',
        ),
      }
    return {
      card: ticketConfirmCard(
        {
          customerQuery: draft.customers.length ? null : draft.customerQuery,
          customers: draft.customers,
          subject: draft.subject,
          priority: draft.priority,
          type: draft.type,
        },
        draft.types,
        locale,
      ),
    }
  },
}
