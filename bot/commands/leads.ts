import { t } from '../cards/i18n'
import { channelsCard, leadConfirmCard } from '../cards/lead-card'
import { analyseChannels, chinaDay, listChannels, parseLeadText } from '../domain/leads'
import type { CommandSpec } from './types'

/** 「线索 张三 13800000000 华为 想了解报价」/ `lead John 138… Acme wants a quote`: a confirm card, nothing stored yet. */
export const leadCommand: CommandSpec = {
  key: 'crm.lead',
  names: { 'zh-CN': ['线索', '新线索'], en: ['lead'] },
  summary: { 'zh-CN': '记一条线索（姓名 电话 公司 需求）', en: 'Capture a lead (name phone company need)' },
  example: {
    'zh-CN': '线索 张三 13800000000 华为 想了解报价',
    en: 'lead John 13800000000 Acme wants a quote',
  },
  run: async ({ ctx, locale, args }) => {
    const draft = parseLeadText(args)
    if (!draft)
      return {
        text: t(
          locale,
          '请这样写：线索 张三 13800000000 华为 想了解报价',
          'Write it like: lead John 13800000000 Acme wants a quote',
        ),
      }
    const channels = (await listChannels({ ctx })).filter((c) => c.active)
    const fallback = channels.find((c) => c.code === 'phone') ?? channels[0]
    return { card: leadConfirmCard(draft, channels, fallback?.id ?? '', locale) }
  },
}

/** 「渠道」/ `channels`: this month's channel conversion figures in the caller's scope. */
export const channelsCommand: CommandSpec = {
  key: 'crm.channels',
  names: { 'zh-CN': ['渠道', '渠道分析'], en: ['channels'] },
  summary: { 'zh-CN': '本月各渠道线索与转化', en: "This month's leads and conversion by channel" },
  example: { 'zh-CN': '渠道', en: 'channels' },
  run: async ({ ctx, locale }) => {
    const today = chinaDay(ctx.clock.now())
    const analysis = await analyseChannels({ ctx, input: { from: `${today.slice(0, 7)}-01`, to: today } })
    return { card: channelsCard(analysis, locale) }
  },
}
