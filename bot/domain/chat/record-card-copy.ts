import { and, eq, sql } from 'drizzle-orm'
import { messages } from '../../../db/schema'
import type { Card } from '../../chat/model'
import type { ServiceContext } from '../context'

/**
 * Keeps the stored copy of a sent card in step with what the tapper now sees, after a tap replaced it
 * synchronously (later updates compare against this copy).
 */
export async function recordCardCopy({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: { platformMessageId: string; card: Card }
}): Promise<void> {
  await ctx.db
    .update(messages)
    .set({ card: input.card as unknown as Record<string, unknown>, updatedAt: sql`now()` })
    .where(and(eq(messages.tenantId, ctx.tenantId), eq(messages.platformMessageId, input.platformMessageId)))
}
