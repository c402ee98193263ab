import type { Card } from '../chat/model'
import type { CustomerHit, NearbyCustomer } from '../domain/crm'
import type { Locale } from '../domain/locale'
import { t } from './i18n'

/** Several matches: a pick list, one button per customer. */
export function customerPickCard(query: string, hits: CustomerHit[], locale: Locale): Card {
  return {
    header: {
      title: t(locale, `找到 ${hits.length} 个客户`, `${hits.length} customers found`),
      color: 'blue',
    },
    summary: t(locale, `「${query}」的搜索结果`, `Results for "${query}"`),
    elements: [
      {
        type: 'markdown',
        text: hits
          .map(
            (h, i) =>
              `${i + 1}. **${h.name}** · ${h.owner?.name ?? t(locale, '公海', 'Pool')}${h.region ? ` · ${h.region}` : ''}`,
          )
          .join('\n'),
      },
      {
        type: 'actions',
        buttons: hits
          .slice(0, 8)
          .map((h) => ({ text: h.shortName ?? h.name, action: { a: 'crm.customer.show', customer: h.id } })),
      },
    ],
  }
}

/** A shared location: the nearest customers, each with a check-in button. */
export function nearbyCard(
  near: NearbyCustomer[],
  at: { lat: number; lng: number; time: string; key: string },
  locale: Locale,
): Card {
  if (near.length === 0) {
    return {
      header: { title: t(locale, '附近没有客户', 'No customers nearby'), color: 'grey' },
      elements: [
        {
          type: 'markdown',
          text: t(locale, '50 公里内没有你负责的客户。', 'None of your customers is within 50 km.'),
        },
      ],
    }
  }
  const fmt = (m: number) => (m < 1000 ? `${m} m` : `${(m / 1000).toFixed(1)} km`)
  return {
    header: { title: t(locale, '附近的客户', 'Customers nearby'), color: 'turquoise' },
    summary: t(locale, '选择要签到的客户', 'Pick a customer to check in'),
    elements: [
      {
        type: 'markdown',
        text: near
          .map((n, i) => `${i + 1}. **${n.name}** · ${fmt(n.distanceM)}${n.address ? ` · ${n.address}` : ''}`)
          .join('\n'),
      },
      {
        type: 'actions',
        buttons: near.map((n) => ({
          text: t(locale, `签到 ${n.name}`, `Check in: ${n.name}`),
          action: {
            a: 'crm.visit.checkin',
            customer: n.id,
            lat: at.lat,
            lng: at.lng,
            at: at.time,
            key: at.key,
          },
        })),
      },
    ],
  }
}
