import { messages } from '../../../db/schema'
import type { Platform } from '../../../db/schema/org'
import { newId } from '../../lib/ids'
import type { ServiceContext } from '../context'

/** Longest inbound text kept on the message row. */
const MAX_STORED_TEXT = 4000

/**
 * Records a chat message addressed to the bot (the conversation log behind replies and audits), with its
 * text cut to 4000 characters.
 */
export async function recordInbound({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: {
    platform: Platform
    platformMessageId: string
    chatId: string
    userId: string | null
    text: string
  }
}): Promise<void> {
  await ctx.db.insert(messages).values({
    id: newId('msg'),
    tenantId: ctx.tenantId,
    platform: input.platform,
    direction: 'in',
    platformMessageId: input.platformMessageId,
    chatId: input.chatId,
    userId: input.userId,
    kind: 'text',
    text: input.text.slice(0, MAX_STORED_TEXT),
  })
}
