import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Card, CardActionHandler } from '../../bot/chat/model'
import { systemClock } from '../../bot/lib/clock'
import { newId } from '../../bot/lib/ids'
import { createLogger } from '../../bot/lib/logger'
import type { FeishuEnvelopeV2 } from '../../bot/platforms/feishu/events'
import { answerCardAction } from '../../bot/platforms/feishu/inbound'
import type { Database } from '../../db/client'
import { userIdentities, users } from '../../db/schema'
import { createTestTenant, openTestDatabase } from '../helpers/db'

let database: Database
let tenantKey = ''
let org: Awaited<ReturnType<typeof createTestTenant>>

/** A replacement card whose form has no buttons of its own: the adapter adds its submit button. */
const formCard: Card = {
  header: { title: 'Leave request' },
  elements: [
    { type: 'form', name: 'leave', inputs: [{ type: 'text', name: 'reason', label: 'Reason' }], buttons: [] },
  ],
}
const cardActions: Record<string, CardActionHandler> = { 'test.form': async () => ({ card: formCard }) }

const feishuTap = (openId: string): FeishuEnvelopeV2 =>
  ({
    schema: '2.0',
    header: {
      event_id: newId('ev'),
      event_type: 'card.action.trigger',
      tenant_key: tenantKey,
      create_time: String(Date.now()),
      token: 't',
      app_id: 'cli_test',
    },
    event: {
      operator: { open_id: openId, tenant_key: tenantKey },
      action: { tag: 'button', value: { a: 'test.form' } },
      context: { open_message_id: newId('om'), open_chat_id: 'oc_x' },
    },
  }) as unknown as FeishuEnvelopeV2

beforeAll(async () => {
  database = await openTestDatabase()
  tenantKey = newId('tk')
  org = await createTestTenant(database, { platform: 'feishu', tenantKey })
  await database.db.insert(userIdentities).values(
    ['liming', 'zhangwei'].map((key) => ({
      id: newId('idn'),
      tenantId: org.tenantId,
      userId: org.users[key] ?? '',
      platform: 'feishu' as const,
      openId: key,
    })),
  )
  await database.db
    .update(users)
    .set({ locale: 'en' })
    .where(eq(users.id, org.users.liming ?? ''))
})

afterAll(async () => {
  await database?.close()
})

const deps = () => ({
  database,
  logger: createLogger('silent'),
  clock: systemClock,
  verificationToken: 't',
  botOpenId: async () => null,
  render: {},
  cardActions,
})

describe('the synchronous answer to a card tap', () => {
  it("renders the Feishu replacement card in the tapper's language", async () => {
    const english = JSON.stringify(await answerCardAction(deps(), feishuTap('liming')))
    expect(english).toContain('"Submit"')
    expect(english).not.toContain('提交')
    const chinese = JSON.stringify(await answerCardAction(deps(), feishuTap('zhangwei')))
    expect(chinese).toContain('提交')
  })
})
