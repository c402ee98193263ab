import { inboundEvents, messages } from '../../../db/schema'
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

/**
 * Claims the handling of an inbound message, inside the transaction that acts on it: true the first time,
 * false when an earlier run already committed its effects (a worker killed after the command's commit but
 * before its job was marked done runs the event again; the command and its reply must not happen twice).
 */
export async function claimMessageHandling({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: { platform: Platform; platformMessageId: string }
}): Promise<boolean> {
  const claimed = await ctx.db
    .insert(inboundEvents)
    .values({ platform: `${input.platform}:handled`, eventId: input.platformMessageId, eventType: 'message' })
    .onConflictDoNothing()
    .returning({ eventId: inboundEvents.eventId })
  return claimed.length > 0
}

/**
 * Claims a job's one-time effect inside the transaction that has it (e.g. the card a `leads.notify` row sends):
 * true the first time, false when an earlier run committed it. Jobs run at least once — a worker killed, or Redis
 * restarted, after the commit but before the job was marked done runs it again — and a job that writes another
 * outbox row (a card to send) would otherwise send it twice.
 */
export async function claimJobEffect(ctx: ServiceContext, job: string, key: string): Promise<boolean> {
  const claimed = await ctx.db
    .insert(inboundEvents)
    .values({ platform: `job:${job}`, eventId: key, eventType: 'job' })
    .onConflictDoNothing()
    .returning({ eventId: inboundEvents.eventId })
  return claimed.length > 0
}
