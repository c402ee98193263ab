import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Card } from '../../bot/chat/model'
import type { CardUpdatePayload, SendMessagePayload } from '../../bot/domain/chat/send'
import { systemClock } from '../../bot/lib/clock'
import { createLogger } from '../../bot/lib/logger'
import { createDevchatPlatform } from '../../bot/platforms/devchat/adapter'
import { PlatformRegistry } from '../../bot/platforms/registry'
import type { Database } from '../../db/client'
import { messages } from '../../db/schema'
import type { SeededOrg } from '../../db/seed/org'
import { InlineQueue } from '../../jobs/drivers/inline'
import { buildProcessors } from '../../jobs/processors'
import { createTestTenant, openTestDatabase } from '../helpers/db'

let database: Database
let org: SeededOrg
beforeAll(async () => {
  database = await openTestDatabase()
  org = await createTestTenant(database)
})
afterAll(async () => database.close())

const card = (title: string): Card => ({ header: { title }, elements: [] })

function processors() {
  const queue = new InlineQueue()
  const platforms = new PlatformRegistry().register(createDevchatPlatform())
  return buildProcessors({ database, queue, logger: createLogger('silent'), clock: systemClock, platforms })
}

const job = (id: string, name: string) => ({ id, name, attempt: 1, maxAttempts: 5 })
const copiesOf = (ref: string) =>
  database.db
    .select({ card: messages.card, version: messages.cardVersion })
    .from(messages)
    .where(and(eq(messages.tenantId, org.tenantId), eq(messages.ref, ref)))

describe('card delivery', () => {
  it('applies an update that ran before the first send of its card', async () => {
    const p = processors()
    const ref = `test:race:${Date.now()}`
    const update: CardUpdatePayload = { tenantId: org.tenantId, ref, card: card('已同意'), version: 2 }
    const send: SendMessagePayload = {
      tenantId: org.tenantId,
      to: { userId: org.users.liuyang ?? '' },
      content: { kind: 'card', card: card('待审批') },
      ref,
      version: 1,
    }
    await p['send.card_update']?.(update as unknown as Record<string, unknown>, job('u1', 'send.card_update'))
    await p['send.message']?.(send as unknown as Record<string, unknown>, job(`s-${ref}`, 'send.message'))
    const copies = await copiesOf(ref)
    expect(copies).toHaveLength(1)
    expect(copies[0]).toMatchObject({ version: 2, card: { header: { title: '已同意' } } })
  })

  it('never rolls a card back when updates arrive out of order', async () => {
    const p = processors()
    const ref = `test:order:${Date.now()}`
    const send: SendMessagePayload = {
      tenantId: org.tenantId,
      to: { userId: org.users.chenjing ?? '' },
      content: { kind: 'card', card: card('v1') },
      ref,
      version: 1,
    }
    await p['send.message']?.(send as unknown as Record<string, unknown>, job(`s-${ref}`, 'send.message'))
    const v3: CardUpdatePayload = { tenantId: org.tenantId, ref, card: card('v3'), version: 3 }
    const v2: CardUpdatePayload = { tenantId: org.tenantId, ref, card: card('v2'), version: 2 }
    await p['send.card_update']?.(v3 as unknown as Record<string, unknown>, job('u3', 'send.card_update'))
    await p['send.card_update']?.(v2 as unknown as Record<string, unknown>, job('u2', 'send.card_update'))
    expect(await copiesOf(ref)).toEqual([{ version: 3, card: card('v3') }])
  })

  it('sends once per job id even when the job runs twice', async () => {
    const p = processors()
    const ref = `test:dup:${Date.now()}`
    const send: SendMessagePayload = {
      tenantId: org.tenantId,
      to: { userId: org.users.yangfan ?? '' },
      content: { kind: 'text', text: '你好' },
      ref,
    }
    await p['send.message']?.(send as unknown as Record<string, unknown>, job(`s-${ref}`, 'send.message'))
    await p['send.message']?.(send as unknown as Record<string, unknown>, job(`s-${ref}`, 'send.message'))
    expect(await copiesOf(ref)).toHaveLength(1)
  })
})
