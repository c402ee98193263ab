import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Card } from '../../bot/chat/model'
import type { Database } from '../../db/client'
import { messages, users } from '../../db/schema'
import { seedDevchatChats } from '../../db/seed/devchat'
import type { SeededOrg } from '../../db/seed/org'
import { createTestTenant, openTestDatabase } from '../helpers/db'
import { type Stack, startStack } from '../helpers/stack'
import { waitFor } from '../helpers/wait'

let database: Database
let org: SeededOrg
let tenantKey: string
let stack: Stack

beforeAll(async () => {
  database = await openTestDatabase()
  tenantKey = `dc-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
  org = await createTestTenant(database, { tenantKey })
  await seedDevchatChats(database.db, org)
  stack = await startStack(database, { tenantId: org.tenantId, tenantKey })
})
afterAll(async () => {
  await stack.close()
  await database.close()
})

const post = (path: string, body: unknown) =>
  stack.app.request(`/devchat/api/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
const get = (path: string) => stack.app.request(`/devchat/api/${path}`)

interface Msg {
  direction: string
  kind: string
  text: string | null
  card: Card | null
  platformMessageId: string
}
const history = async (as: string, chat: string): Promise<Msg[]> => {
  const res = await get(`messages?tenant=${tenantKey}&as=${as}&chat=${encodeURIComponent(chat)}`)
  expect(res.status).toBe(200)
  return ((await res.json()) as { messages: Msg[] }).messages
}

describe('devchat', () => {
  it('answers `帮助` in a DM with the help card, through ingest, queue and dispatch', async () => {
    const res = await post('messages', {
      tenant: tenantKey,
      as: 'liuyang',
      chat: 'p2p:liuyang',
      text: '帮助',
    })
    expect(res.status).toBe(200)
    const bot = await waitFor(
      async () => (await history('liuyang', 'p2p:liuyang')).find((m) => m.direction === 'out'),
      'the bot reply',
    )
    expect(bot.card?.header.title).toBe('flowcard 助手')
    const all = await history('liuyang', 'p2p:liuyang')
    expect(all.map((m) => m.direction)).toEqual(['in', 'out'])
  })

  it('replaces the card when a button is tapped, and persists the choice', async () => {
    const msgs = await history('liuyang', 'p2p:liuyang')
    const help = msgs.find((m) => m.direction === 'out')
    expect(help).toBeDefined()
    const res = await post('actions', {
      tenant: tenantKey,
      as: 'liuyang',
      messageId: help?.platformMessageId,
      payload: { a: 'help.locale', to: 'en' },
    })
    expect(res.status).toBe(200)
    const result = (await res.json()) as { card: Card; toast: { text: string } }
    expect(result.card.header.title).toBe('flowcard assistant')
    expect(result.toast.text).toBe('Switched to English')
    const [row] = await database.db
      .select({ card: messages.card })
      .from(messages)
      .where(
        and(
          eq(messages.tenantId, org.tenantId),
          eq(messages.platformMessageId, help?.platformMessageId ?? ''),
        ),
      )
    expect((row?.card as unknown as Card | undefined)?.header.title).toBe('flowcard assistant')
    const [user] = await database.db
      .select({ locale: users.locale })
      .from(users)
      .where(eq(users.id, org.users.liuyang ?? ''))
    expect(user?.locale).toBe('en')
  })

  it('answers a person who chose English in English, names included', async () => {
    // 刘洋 switched to English in the test above; the customer is his, so the card names him as owner.
    const { createCustomer } = await import('../../bot/domain/crm/create-customer')
    const { actingAs } = await import('../helpers/actors')
    await createCustomer({
      ctx: actingAs(database, org, 'liuyang', 'api'),
      input: { name: '西湖英文测试有限公司' },
    })
    const before = (await history('liuyang', 'p2p:liuyang')).length
    const res = await post('messages', {
      tenant: tenantKey,
      as: 'liuyang',
      chat: 'p2p:liuyang',
      text: 'customer 西湖英文测试',
    })
    expect(res.status).toBe(200)
    const reply = await waitFor(async () => {
      const all = await history('liuyang', 'p2p:liuyang')
      return all.slice(before).find((m) => m.direction === 'out')
    }, 'the customer card')
    const card = JSON.stringify(reply.card)
    expect(card).toContain('Yang Liu')
    expect(card).not.toContain('刘洋')
    // The simulator learns the reader's language, for its own words on the card (the link, a select prompt).
    const page = await get(`messages?tenant=${tenantKey}&as=liuyang&chat=p2p:liuyang`)
    expect(((await page.json()) as { locale: string }).locale).toBe('en')
    const zh = await get(`messages?tenant=${tenantKey}&as=yangfan&chat=p2p:yangfan`)
    expect(((await zh.json()) as { locale: string }).locale).toBe('zh-CN')
  })

  it('offers nearby customers when a location is shared without a command', async () => {
    const { dispatchEvent } = await import('../../bot/chat/dispatch')
    const { systemClock } = await import('../../bot/lib/clock')
    const { createLogger } = await import('../../bot/lib/logger')
    await dispatchEvent(
      { database, logger: createLogger('silent'), clock: systemClock },
      {
        kind: 'message',
        platform: 'devchat',
        tenantKey,
        eventId: `loc-${Date.now()}`,
        messageId: `loc-msg-${Date.now()}`,
        chatId: 'p2p:yangfan',
        chatType: 'p2p',
        sender: { openId: 'yangfan' },
        text: '',
        addressedToBot: true,
        location: { lat: 31.2304, lng: 121.4737, name: '人民广场' },
      },
    )
    const bot = await waitFor(
      async () => (await history('yangfan', 'p2p:yangfan')).find((m) => m.direction === 'out'),
      'the nearby reply',
    )
    expect(bot.card?.header.title).toBe('附近没有客户')
  })

  it('suggests the right command for a typo', async () => {
    await post('messages', { tenant: tenantKey, as: 'chenjing', chat: 'p2p:chenjing', text: 'hlep' })
    const bot = await waitFor(
      async () => (await history('chenjing', 'p2p:chenjing')).find((m) => m.direction === 'out'),
      'the suggestion',
    )
    const note = bot.card?.elements.find((e) => e.type === 'note')
    expect(note && 'text' in note ? note.text : '').toContain('Did you mean "help"?')
  })

  it('reaches the bot in a group only when @-mentioned', async () => {
    await post('messages', { tenant: tenantKey, as: 'zhangwei', chat: 'grp:sales', text: '大家下午好' })
    await post('messages', { tenant: tenantKey, as: 'zhangwei', chat: 'grp:sales', text: '@flowcard 我是谁' })
    const bot = await waitFor(
      async () => (await history('zhangwei', 'grp:sales')).find((m) => m.direction === 'out'),
      'the group reply',
    )
    // In a group the answer goes to the asker by DM; the group sees only that it did (security finding #7).
    expect(bot.card?.header.title).toBe('已私信回复')
    const dm = await waitFor(
      async () => (await history('zhangwei', 'p2p:zhangwei')).find((m) => m.direction === 'out'),
      'the private answer',
    )
    expect(dm.card?.header.title).toBe('你好，张伟')
    const all = await history('zhangwei', 'grp:sales')
    expect(all.filter((m) => m.direction === 'out')).toHaveLength(1)
    expect(all.filter((m) => m.direction === 'in').map((m) => m.text)).toEqual(['大家下午好', '我是谁'])
  })

  it('refuses to show or post in a group the person is not in', async () => {
    const res = await get(`messages?tenant=${tenantKey}&as=sunyue&chat=grp:sales`)
    expect(res.status).toBe(403)
    const posted = await post('messages', {
      tenant: tenantKey,
      as: 'sunyue',
      chat: 'grp:sales',
      text: '@flowcard 帮助',
    })
    expect(posted.status).toBe(403)
  })

  it('refuses a tap on a message outside the tapper’s chats', async () => {
    const msgs = await history('liuyang', 'p2p:liuyang')
    const help = msgs.find((m) => m.direction === 'out')
    const res = await post('actions', {
      tenant: tenantKey,
      as: 'chenjing',
      messageId: help?.platformMessageId,
      payload: { a: 'help.locale', to: 'zh-CN' },
    })
    expect(res.status).toBe(404)
  })

  it('rejects bad input with a 400 naming the field', async () => {
    const res = await post('messages', { tenant: tenantKey, as: 'liuyang', chat: 'p2p:liuyang', text: '   ' })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^text:/)
  })

  it('signs the mini-app in with a one-time code', async () => {
    const codeRes = await post('login-code', { tenant: tenantKey, as: 'liming' })
    const { code } = (await codeRes.json()) as { code: string }
    const login = await stack.app.request('/api/v1/auth/devchat', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    })
    expect(login.status).toBe(200)
    const session = (await login.json()) as {
      token: string
      user: { name: string; scope: string; roles: string[] }
    }
    expect(session.user).toMatchObject({ name: '李明', scope: 'department_tree' })
    expect(session.user.roles).toContain('sales_manager')
    const me = await stack.app.request('/api/v1/me', {
      headers: { authorization: `Bearer ${session.token}` },
    })
    expect(me.status).toBe(200)
    const again = await stack.app.request('/api/v1/auth/devchat', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    })
    expect(again.status).toBe(401)
    expect(((await again.json()) as { error: { message: string } }).error.message).toBe(
      'login code was already used',
    )
  })

  it('refuses API calls without a valid session', async () => {
    expect((await stack.app.request('/api/v1/me')).status).toBe(401)
    const forged = await stack.app.request('/api/v1/me', { headers: { authorization: 'Bearer v1.e30.AAAA' } })
    expect(forged.status).toBe(401)
  })
})
