import type { TicketPriority } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { searchCustomers } from '../crm/search-customers'
import { loadServiceSettings } from './settings'

const PRIORITY_WORDS: Record<string, TicketPriority> = {
  紧急: 'urgent',
  加急: 'urgent',
  urgent: 'urgent',
  高: 'high',
  重要: 'high',
  high: 'high',
  普通: 'normal',
  normal: 'normal',
  低: 'low',
  不急: 'low',
  low: 'low',
}

export interface ParsedTicketText {
  words: string[]
  priority: TicketPriority
  type: string | null
}

/**
 * Reads 「华东精密 设备异响 紧急」/ `Acme noisy pump urgent`: priority and type words anywhere, the rest
 * in order (the first word may be the customer). Null when nothing is left to describe the issue.
 */
export function parseTicketText(text: string, types: string[]): ParsedTicketText | null {
  const words = text.split(/\s+/).filter(Boolean)
  let priority: TicketPriority = 'normal'
  let type: string | null = null
  const rest: string[] = []
  for (const w of words) {
    const p = PRIORITY_WORDS[w.toLowerCase()]
    if (p) priority = p
    else if (!type && types.includes(w)) type = w
    else rest.push(w)
  }
  if (rest.length === 0) return null
  return { words: rest, priority, type }
}

export interface TicketDraftView {
  customerQuery: string | null
  customers: Array<{ id: string; name: string }>
  subject: string
  priority: TicketPriority
  type: string
  types: string[]
}

/**
 * The draft behind the chat confirm card: the first word names a customer when one in the caller's scope
 * matches it (up to three candidates), otherwise it belongs to the subject. Nothing is stored.
 */
export async function draftTicket({
  ctx,
  text,
}: {
  ctx: ServiceContext
  text: string
}): Promise<TicketDraftView | null> {
  const settings = await loadServiceSettings(ctx.db, ctx.tenantId)
  const parsed = parseTicketText(text, settings.types)
  if (!parsed) return null
  const [first, ...others] = parsed.words
  const hits =
    first && others.length > 0
      ? await searchCustomers({ ctx, input: { q: first.slice(0, 100), limit: 3 } })
      : []
  const subject = (hits.length ? others : parsed.words).join(' ').slice(0, 200)
  return {
    customerQuery: others.length > 0 ? (first ?? null) : null,
    customers: hits.map((h) => ({ id: h.id, name: h.name })),
    subject,
    priority: parsed.priority,
    type: parsed.type ?? (parsed.words.join('').includes('故障') ? '故障' : (settings.types[0] ?? '咨询')),
    types: settings.types,
  }
}
