import { chats } from '../../../db/schema'
import type { Platform } from '../../../db/schema/org'
import { newId } from '../../lib/ids'
import type { ServiceContext } from '../context'

/** Remembers a group chat the bot was added to (once; a second add changes nothing). */
export async function recordChat({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: { platform: Platform; platformChatId: string; name?: string }
}): Promise<void> {
  await ctx.db
    .insert(chats)
    .values({
      id: newId('cht'),
      tenantId: ctx.tenantId,
      platform: input.platform,
      platformChatId: input.platformChatId,
      name: input.name ?? input.platformChatId,
    })
    .onConflictDoNothing()
}
