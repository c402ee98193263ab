import { eq } from 'drizzle-orm'
import { renderView } from '../../bot/cards/views'
import type { Card } from '../../bot/chat/model'
import type { SendMessagePayload } from '../../bot/domain/chat/send'
import { localeOf } from '../../bot/domain/locale'
import { tenantTimeZone } from '../../bot/domain/org/time-zone'
import type { Database } from '../../db/client'
import { users } from '../../db/schema'

/**
 * The card a `send.message` outbox row will show its recipient: the card itself, or its recorded view
 * rendered as the send job renders it (in the recipient's language, Chinese for a chat, and the tenant's
 * time zone). Null for text.
 */
export async function cardOfPayload(database: Database, payload: unknown): Promise<Card | null> {
  const p = payload as SendMessagePayload | undefined
  if (!p?.content) return null
  if (p.content.kind === 'card') return p.content.card
  if (p.content.kind !== 'view') return null
  let locale = p.locale
  if (!locale && 'userId' in p.to) {
    const [u] = await database.db
      .select({ locale: users.locale })
      .from(users)
      .where(eq(users.id, p.to.userId))
    locale = localeOf(u?.locale)
  }
  const zone = await tenantTimeZone({
    db: database.db,
    tenantId: p.tenantId,
    clock: { now: () => new Date() },
  })
  return renderView(p.content.view, locale ?? 'zh-CN', zone)
}
