import { and, eq } from 'drizzle-orm'
import { leadChannels } from '../../../db/schema'
import { newId } from '../../lib/ids'
import type { ServiceContext } from '../context'

/** The channels every tenant starts with (editable; codes stay stable for seeds and presets). */
export const DEFAULT_CHANNELS = [
  { code: 'search_ads', name: '搜索广告', nameEn: 'Search ads', slaMinutes: 30 },
  { code: 'feed_ads', name: '信息流', nameEn: 'Feed ads', slaMinutes: 30 },
  { code: 'web_form', name: '官网表单', nameEn: 'Website form', slaMinutes: 60 },
  { code: 'expo', name: '展会', nameEn: 'Trade show', slaMinutes: 24 * 60 },
  { code: 'referral', name: '转介绍', nameEn: 'Referral', slaMinutes: 120 },
  { code: 'phone', name: '电话', nameEn: 'Phone', slaMinutes: 30 },
  { code: 'other', name: '其他', nameEn: 'Other', slaMinutes: null },
] as const

const channelNamesEn = new Map<string, string>(DEFAULT_CHANNELS.map((c) => [c.name, c.nameEn]))

/**
 * A channel's name for an English reader: a default channel still under its default name has an English
 * one; a channel the tenant named or renamed keeps its own name.
 */
export const channelNameIn = (name: string, locale: 'zh-CN' | 'en'): string =>
  (locale === 'en' && channelNamesEn.get(name)) || name

/** A random public key (intake URL, web form). */
export function publicKey(prefix: string): string {
  const bytes = new Uint8Array(12)
  crypto.getRandomValues(bytes)
  let s = ''
  for (const b of bytes) s += b.toString(16).padStart(2, '0')
  return `${prefix}_${s}`
}

/**
 * Makes sure the tenant has the default channels (the web-form channel with a form key). Idempotent and
 * cheap: one indexed read when they exist; concurrent callers race harmlessly on the unique code. Every
 * lead verb that needs channels calls it, so tenants created by any path (install, directory sync, seed,
 * tests) get them on first use.
 */
export async function ensureDefaultChannels(ctx: ServiceContext): Promise<void> {
  const [has] = await ctx.db
    .select({ id: leadChannels.id })
    .from(leadChannels)
    .where(and(eq(leadChannels.tenantId, ctx.tenantId), eq(leadChannels.code, 'other')))
    .limit(1)
  if (has) return
  const now = ctx.clock.now()
  await ctx.db
    .insert(leadChannels)
    .values(
      DEFAULT_CHANNELS.map((c, i) => ({
        id: newId('lch'),
        tenantId: ctx.tenantId,
        code: c.code,
        name: c.name,
        sort: (i + 1) * 10,
        intakeKey: publicKey('lk'),
        formKey: c.code === 'web_form' ? publicKey('lf') : null,
        slaMinutes: c.slaMinutes,
        createdAt: now,
        updatedAt: now,
      })),
    )
    .onConflictDoNothing()
}
