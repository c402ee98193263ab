import { customerCard } from '../cards/customer-card'
import { customerPickCard, nearbyCard } from '../cards/customer-list-card'
import { t } from '../cards/i18n'
import {
  type CustomerElsewhere,
  findCustomersElsewhere,
  getCustomerSummary,
  loadCrmAccess,
  nearbyCustomers,
  searchCustomers,
} from '../domain/crm'
import type { Locale } from '../domain/locale'
import type { CommandInput, CommandReply, CommandSpec } from './types'

/** A shared location → the nearest customers with check-in buttons. */
async function nearbyReply({ ctx, locale, location }: CommandInput): Promise<CommandReply> {
  if (!location) return { text: t(locale, '请发送你的位置。', 'Share your location first.') }
  const near = await nearbyCustomers({ ctx, input: { lat: location.lat, lng: location.lng, limit: 5 } })
  const time = ctx.clock.now().toISOString()
  return {
    card: nearbyCard(near, { lat: location.lat, lng: location.lng, time, key: `chat-${time}` }, locale),
  }
}

/** Customers outside the asker's scope: name and owner, and whom to ask. */
function elsewhereText(found: CustomerElsewhere[], locale: Locale): string {
  const lines = found.map((c) => {
    const dept = c.owner.department ? t(locale, `（${c.owner.department}）`, ` (${c.owner.department})`) : ''
    return t(
      locale,
      `· ${c.name}：负责人 ${c.owner.name}${dept}`,
      `· ${c.name}: owned by ${c.owner.name}${dept}`,
    )
  })
  return [
    t(
      locale,
      '这些客户已存在，但不在你的查看范围内：',
      'These customers exist but are outside what you can see:',
    ),
    ...lines,
    t(locale, '如需跟进，请联系负责人协作或转交。', 'Ask the owner to share or transfer the customer.'),
  ].join('\n')
}

/**
 * `客户 华为` / `customer huawei` (also pinyin `huawei` and initials `hw`): one match answers with the
 * customer card, several with a pick list. With a shared location and no name it lists nearby customers.
 */
export const customerCommand: CommandSpec = {
  key: 'crm.customer',
  names: { 'zh-CN': ['客户', '查客户'], en: ['customer', 'cust'] },
  summary: { 'zh-CN': '查找客户（名称、拼音或首字母）', en: 'Find a customer (name, pinyin or initials)' },
  example: { 'zh-CN': '客户 zgyh', en: 'customer huawei' },
  run: async (input) => {
    const { ctx, locale, timeZone, args } = input
    if (!args.trim()) {
      if (input.location) return nearbyReply(input)
      return {
        text: t(locale, '请输入客户名称，例如「客户 华为」。', 'Type a name, e.g. "customer huawei".'),
      }
    }
    const access = await loadCrmAccess(ctx)
    const hits = await searchCustomers({ ctx, input: { q: args, limit: 8 }, access })
    if (hits.length === 0) {
      const elsewhere = await findCustomersElsewhere({ ctx, input: { q: args }, access })
      if (elsewhere.length > 0) return { text: elsewhereText(elsewhere, locale) }
      return { text: t(locale, `没有找到「${args}」相关的客户。`, `No customer matches "${args}".`) }
    }
    const [only] = hits
    if (hits.length === 1 && only) {
      return {
        card: customerCard(await getCustomerSummary({ ctx, customerId: only.id, access }), locale, timeZone),
      }
    }
    return { card: customerPickCard(args, hits, locale) }
  },
}

/** `附近客户` / `nearby` with a shared location (what a location message triggers). */
export const nearbyCommand: CommandSpec = {
  key: 'crm.nearby',
  names: { 'zh-CN': ['附近客户', '签到', '位置'], en: ['nearby', 'checkin', 'location'] },
  summary: {
    'zh-CN': '发送位置，查看附近客户并签到',
    en: 'Share a location to see nearby customers and check in',
  },
  example: { 'zh-CN': '附近客户', en: 'nearby' },
  run: nearbyReply,
}
