import { noticeListCard } from '../cards/notice-list-card'
import { listNotices } from '../domain/notices'
import type { CommandSpec } from './types'

/** `公告` / `notices`: my recent notices as a card (unread ones marked). */
export const noticesCommand: CommandSpec = {
  key: 'notices',
  names: { 'zh-CN': ['公告', '通知', '我的公告'], en: ['notices', 'notice', 'announcements'] },
  summary: { 'zh-CN': '查看最近的公告与通知', en: 'Show recent notices' },
  example: { 'zh-CN': '公告', en: 'notices' },
  run: async ({ ctx, locale, timeZone }) => {
    const { items } = await listNotices({ ctx, input: { box: 'inbox', limit: 8 } })
    return { card: noticeListCard(items, locale, timeZone) }
  },
}
