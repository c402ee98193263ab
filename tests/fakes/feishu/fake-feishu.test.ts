import lark from '@larksuiteoapi/node-sdk'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { decryptFeishu, verifyFeishuSignature } from '../../../bot/platforms/feishu/crypto'
import { createPushBuilder } from './push'
import { createFakeFeishu, type FakeFeishu } from './server'

const silent = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  trace: () => undefined,
}

/** Per-test token cache, so one fake's tokens never leak into another through the SDK's global cache. */
class MapCache {
  readonly values = new Map<string, { value: unknown; expiresAt: number | undefined }>()

  async get(key: unknown, options?: { namespace?: string }): Promise<unknown> {
    const e = this.values.get(`${options?.namespace ?? ''}/${String(key)}`)
    if (!e || (e.expiresAt !== undefined && e.expiresAt <= Date.now())) return undefined
    return e.value
  }

  async set(key: unknown, value: unknown, expiresAt?: number, options?: { namespace?: string }) {
    this.values.set(`${options?.namespace ?? ''}/${String(key)}`, { value, expiresAt })
    return true
  }
}

function sdkClient(fake: FakeFeishu, cache = new MapCache()) {
  const client = new lark.Client({
    appId: fake.appId,
    appSecret: fake.appSecret,
    domain: fake.url,
    cache,
    logger: silent,
    loggerLevel: lark.LoggerLevel.error,
  })
  return { client, cache }
}

interface HttpFailure {
  status: number
  data: { code?: number; msg?: string; error?: { log_id?: string } }
  headers: Record<string, string | undefined>
}

/** The HTTP response inside an AxiosError (how the SDK reports non-2xx), without depending on axios. */
function httpFailure(e: unknown): HttpFailure | undefined {
  if (typeof e !== 'object' || e === null || !('response' in e)) return undefined
  const res = (e as { response?: { status: number; data: unknown; headers: Record<string, string> } })
    .response
  if (!res) return undefined
  return { status: res.status, data: res.data as HttpFailure['data'], headers: res.headers }
}

/** The Feishu error a call was rejected with, or fails the test. */
async function rejected(p: Promise<unknown>): Promise<HttpFailure> {
  try {
    await p
  } catch (e) {
    const f = httpFailure(e)
    if (f) return f
    throw e
  }
  throw new Error('expected the call to be rejected')
}

const card = (title: string) =>
  JSON.stringify({
    schema: '2.0',
    header: { title: { tag: 'plain_text', content: title }, template: 'blue' },
    body: {
      elements: [
        { tag: 'markdown', content: `**${title}**` },
        {
          tag: 'column_set',
          columns: [
            {
              tag: 'column',
              elements: [
                {
                  tag: 'button',
                  text: { tag: 'plain_text', content: '同意' },
                  type: 'primary',
                  behaviors: [{ type: 'callback', value: { a: 'approve' } }],
                },
              ],
            },
          ],
        },
      ],
    },
  })

describe('fake Feishu Open API driven by the real SDK', () => {
  let fake: FakeFeishu

  beforeAll(async () => {
    fake = await createFakeFeishu({
      chats: [{ name: '审批群', memberUserIds: ['zhangsan', 'lisi', 'zhengshi'] }],
      unreachableOpenIds: [],
    })
  })

  afterAll(async () => {
    await fake.close()
  })

  afterEach(() => {
    fake.controls.clearFailures()
    fake.controls.resetRateLimits()
  })

  it('sends a card once when the same uuid is used twice', async () => {
    const { client } = sdkClient(fake)
    const receiver = fake.user('lisi').openId
    const data = {
      receive_id: receiver,
      msg_type: 'interactive',
      content: card('请假审批 #1'),
      uuid: 'approval-1-v1',
    }
    const first = await client.im.v1.message.create({ params: { receive_id_type: 'open_id' }, data })
    const second = await client.im.v1.message.create({ params: { receive_id_type: 'open_id' }, data })
    expect(first.code).toBe(0)
    expect(first.data?.message_id).toMatch(/^om_[0-9a-f]{32}$/)
    expect(second.data?.message_id).toBe(first.data?.message_id)
    expect(first.data?.sender).toMatchObject({ id: fake.appId, id_type: 'app_id', sender_type: 'app' })
    expect(fake.recorder.messagesTo(receiver)).toHaveLength(1)
    expect(fake.recorder.dedupeHits).toBe(1)
    const rec = fake.recorder.find('POST', '/open-apis/im/v1/messages').at(-1)
    expect(rec?.headers.authorization).toBe('Bearer [redacted]')
    expect(rec?.auth).toBe('tenant')
    expect(JSON.stringify(fake.recorder.requests)).not.toContain(fake.appSecret)
  })

  it('rejects what Feishu rejects: bot outside chat, unreachable user, bad card, non-string content', async () => {
    const { client } = sdkClient(fake)
    const chat = fake.controls.addChat({ name: '无机器人群', memberUserIds: ['lisi'], botIsMember: false })
    const outside = await rejected(
      client.im.v1.message.create({
        params: { receive_id_type: 'chat_id' },
        data: { receive_id: chat.chatId, msg_type: 'text', content: JSON.stringify({ text: 'hi' }) },
      }),
    )
    expect(outside).toMatchObject({ status: 400, data: { code: 230002 } })
    expect(outside.data.error?.log_id).toBeTruthy()

    fake.controls.setUnreachable(fake.user('wujiu').openId)
    const unreachable = await rejected(
      client.im.v1.message.create({
        params: { receive_id_type: 'user_id' },
        data: { receive_id: 'wujiu', msg_type: 'text', content: JSON.stringify({ text: 'hi' }) },
      }),
    )
    expect(unreachable.data.code).toBe(230013)

    const legacyAction = JSON.stringify({
      schema: '2.0',
      body: { elements: [{ tag: 'action', actions: [] }] },
    })
    const bad = await rejected(
      client.im.v1.message.create({
        params: { receive_id_type: 'open_id' },
        data: { receive_id: fake.user('lisi').openId, msg_type: 'interactive', content: legacyAction },
      }),
    )
    expect(bad.data.code).toBe(230099)
    expect(bad.data.msg).toContain('200861')

    const many = JSON.stringify({
      schema: '2.0',
      body: { elements: Array.from({ length: 201 }, () => ({ tag: 'hr' })) },
    })
    const tooMany = await rejected(
      client.im.v1.message.create({
        params: { receive_id_type: 'open_id' },
        data: { receive_id: fake.user('lisi').openId, msg_type: 'interactive', content: many },
      }),
    )
    expect(tooMany.data.code).toBe(230099)

    const notString = await rejected(
      client.request({
        method: 'POST',
        url: '/open-apis/im/v1/messages',
        params: { receive_id_type: 'open_id' },
        data: { receive_id: fake.user('lisi').openId, msg_type: 'text', content: { text: 'object' } },
      }),
    )
    expect(notString.data.code).toBe(99992402)
  })

  it('refreshes after a stale token is answered with 99991663', async () => {
    const { client, cache } = sdkClient(fake)
    const send = () =>
      client.im.v1.message.create({
        params: { receive_id_type: 'chat_id' },
        data: {
          receive_id: fake.controls.p2pChatId(fake.user('zhaoliu').openId),
          msg_type: 'text',
          content: JSON.stringify({ text: 'ping' }),
        },
      })
    const before = fake.recorder.tokenRequests
    expect((await send()).code).toBe(0)
    expect(fake.recorder.tokenRequests).toBe(before + 1)
    fake.controls.advanceTime(2 * 3600_000 + 1000)
    const stale = await rejected(send())
    expect(stale).toMatchObject({ status: 400, data: { code: 99991663 } })
    // What the adapter does on 99991663: drop the cached token and retry once.
    cache.values.clear()
    expect((await send()).code).toBe(0)
    expect(fake.recorder.tokenRequests).toBe(before + 2)
  })

  it('answers a missing token with 99991661 and a wrong secret with 99991543', async () => {
    const noAuth = await fetch(`${fake.url}/open-apis/bot/v3/info`)
    expect(noAuth.status).toBe(400)
    expect(((await noAuth.json()) as { code: number }).code).toBe(99991661)
    const wrong = new lark.Client({
      appId: fake.appId,
      appSecret: 'wrong',
      domain: fake.url,
      cache: new MapCache(),
      logger: silent,
    })
    await expect(wrong.im.v1.message.get({ path: { message_id: 'om_x' } })).rejects.toThrow(/99991543/)
  })

  it('returns the bot info under `bot`', async () => {
    const { client } = sdkClient(fake)
    const info = (await client.request({ method: 'GET', url: '/open-apis/bot/v3/info' })) as {
      code: number
      bot: { open_id: string; activate_status: number }
    }
    expect(info.code).toBe(0)
    expect(info.bot.open_id).toBe(fake.botOpenId)
  })

  it('throttles per app with 429, 99991400 and the ratelimit headers', async () => {
    const limited = await createFakeFeishu({ rateLimits: { appPerSecond: 3 } })
    try {
      const { client } = sdkClient(limited)
      const calls = Array.from({ length: 4 }, () =>
        client.contact.v3.user.get({ path: { user_id: 'lisi' }, params: { user_id_type: 'user_id' } }).then(
          () => undefined,
          (e: unknown) => e,
        ),
      )
      const errors = (await Promise.all(calls)).filter((e) => e !== undefined)
      expect(errors).toHaveLength(1)
      const e = httpFailure(errors[0])
      expect(e?.status).toBe(429)
      expect(e?.data.code).toBe(99991400)
      expect(e?.headers['x-ogw-ratelimit-limit']).toBe('3')
      expect(Number(e?.headers['x-ogw-ratelimit-reset'])).toBeGreaterThanOrEqual(1)
      expect(limited.recorder.throttledCount).toBe(1)
    } finally {
      await limited.close()
    }
  })

  it('injects failures for retry tests', async () => {
    const { client } = sdkClient(fake)
    fake.controls.failNext({ path: '/open-apis/contact/v3/users/:user_id', status: 503, times: 1 })
    fake.controls.failNext({ path: '/open-apis/contact/v3/users/:user_id', status: 429, resetSeconds: 2 })
    fake.controls.failNext({
      path: /\/contact\/v3\/users\//,
      status: 200,
      code: 41050,
      msg: 'no user authority',
    })
    const get = () =>
      client.contact.v3.user.get({ path: { user_id: 'lisi' }, params: { user_id_type: 'user_id' } })
    expect((await rejected(get())).status).toBe(503)
    const throttled = await rejected(get())
    expect(throttled.status).toBe(429)
    expect(throttled.headers['x-ogw-ratelimit-reset']).toBe('2')
    expect((await get()).code).toBe(41050)
    const ok = await get()
    expect(ok.data?.user?.name).toBe('李四')
    expect(ok.data?.user?.leader_user_id).toBe('zhangsan')
    expect(fake.recorder.injectedCount).toBeGreaterThanOrEqual(3)
  })

  it('limits PATCH to 5 QPS per message and enforces the update rules', async () => {
    const { client } = sdkClient(fake)
    const group = [...fake.state.chats.values()].find((c) => c.name === '审批群')
    if (!group) throw new Error('seeded chat missing')
    const sent = await client.im.v1.message.create({
      params: { receive_id_type: 'chat_id' },
      data: { receive_id: group.chatId, msg_type: 'interactive', content: card('报销 #7') },
    })
    const messageId = sent.data?.message_id ?? ''
    const patch = (i: number) =>
      client.im.v1.message
        .patch({ path: { message_id: messageId }, data: { content: card(`报销 #7 v${i}`) } })
        .then(
          (r) => r.code,
          (e: unknown) => httpFailure(e)?.data.code ?? -1,
        )
    const codes = await Promise.all(Array.from({ length: 6 }, (_, i) => patch(i)))
    expect(codes.filter((c) => c === 0)).toHaveLength(5)
    expect(codes.filter((c) => c === 230020)).toHaveLength(1)
    expect(fake.recorder.cardPatches(messageId)).toHaveLength(5)

    fake.controls.resetRateLimits()
    fake.controls.advanceTime(15 * 24 * 3600_000)
    const { client: fresh } = sdkClient(fake)
    const old = await rejected(
      fresh.im.v1.message.patch({ path: { message_id: messageId }, data: { content: card('x') } }),
    )
    expect(old.data.code).toBe(230031)

    const another = await fresh.im.v1.message.create({
      params: { receive_id_type: 'chat_id' },
      data: { receive_id: group.chatId, msg_type: 'interactive', content: card('采购 #9') },
    })
    const id2 = another.data?.message_id ?? ''
    expect((await fresh.im.v1.message.delete({ path: { message_id: id2 } })).code).toBe(0)
    const recalled = await rejected(
      fresh.im.v1.message.patch({ path: { message_id: id2 }, data: { content: card('y') } }),
    )
    expect(recalled.data.code).toBe(230011)
  })

  it('supports delayed card updates with a 2-use token, read receipts and urgent', async () => {
    const { client } = sdkClient(fake)
    const approver = fake.user('zhengshi')
    const sent = await client.im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: approver.openId, msg_type: 'interactive', content: card('加班 #3') },
    })
    const messageId = sent.data?.message_id ?? ''
    const token = fake.controls.issueCardToken(messageId, approver.openId)
    const update = () =>
      client.request({
        method: 'POST',
        url: '/open-apis/interactive/v1/card/update',
        data: { token, card: JSON.parse(card('加班 #3 已同意')) },
      }) as Promise<{ code: number }>
    expect((await update()).code).toBe(0)
    expect((await update()).code).toBe(0)
    expect((await rejected(update())).status).toBe(400)

    fake.controls.markRead(messageId, [approver.openId])
    const readers = await client.im.v1.message.readUsers({
      path: { message_id: messageId },
      params: { user_id_type: 'user_id' },
    })
    expect(readers.data?.items?.map((i) => i.user_id)).toEqual(['zhengshi'])

    const urgent = await client.im.v1.message.urgentApp({
      path: { message_id: messageId },
      params: { user_id_type: 'open_id' },
      data: { user_id_list: [approver.openId, fake.user('lisi').openId] },
    })
    expect(urgent.data?.invalid_user_id_list).toEqual([fake.user('lisi').openId])
  })

  it('pages through the whole seeded org', async () => {
    const { client } = sdkClient(fake)
    const departments: string[] = ['0']
    for await (const page of await client.contact.v3.department.childrenWithIterator({
      path: { department_id: '0' },
      params: { fetch_child: true, page_size: 2, department_id_type: 'department_id' },
    })) {
      for (const d of page?.items ?? []) departments.push(d.department_id ?? '')
    }
    expect(departments.sort()).toEqual(['0', ...fake.directory.departments.map((d) => d.departmentId)].sort())
    const seen = new Set<string>()
    for (const dept of departments) {
      for await (const page of await client.contact.v3.user.findByDepartmentWithIterator({
        params: { department_id: dept, department_id_type: 'department_id', page_size: 1 },
      })) {
        for (const u of page?.items ?? []) seen.add(u.open_id ?? '')
      }
    }
    const active = fake.directory.users.filter((u) => !u.status.is_resigned).map((u) => u.openId)
    expect([...seen].sort()).toEqual(active.sort())
    const found = await client.contact.v3.user.batchGetId({
      params: { user_id_type: 'open_id' },
      data: { emails: ['lisi@example.com', 'nobody@example.com'] },
    })
    expect(found.data?.user_list?.[0]?.user_id).toBe(fake.user('lisi').openId)
    expect(found.data?.user_list?.[1]?.user_id).toBeUndefined()
  })

  it('lists employees through directory v1 employees/filter: pages of ≤ 100, asked-for fields, documented conditions and errors', async () => {
    const { client } = sdkClient(fake)
    const list = (data: Record<string, unknown>, params: Record<string, string> = {}) =>
      client.directory.v1.employee.filter({
        params: { employee_id_type: 'open_id', ...params },
        data: {
          filter: { conditions: [] },
          required_fields: ['base_info.name', 'base_info.departments.department_id', 'base_info.is_resigned'],
          page_request: { page_size: 5 },
          ...data,
        } as never,
      })
    // Everyone in scope, page by page, in a stable order; resigned people flagged, not hidden.
    const seen: Array<{ id: string; resigned: unknown }> = []
    let token = ''
    let pages = 0
    do {
      const res = await list({ page_request: { page_size: 5, page_token: token } })
      pages++
      for (const e of res.data?.employees ?? [])
        seen.push({ id: e.base_info?.employee_id ?? '', resigned: e.base_info?.is_resigned })
      token = res.data?.page_response?.has_more ? (res.data.page_response.page_token ?? '') : ''
    } while (token)
    expect(pages).toBe(Math.ceil(fake.directory.users.length / 5))
    expect(seen.map((e) => e.id)).toEqual(fake.directory.users.map((u) => u.openId))
    expect(seen.filter((e) => e.resigned === true).map((e) => e.id)).toEqual([fake.user('qianli').openId])
    // Only the fields asked for; the leader and departments in the requested id types.
    const one = await list({
      filter: { conditions: [{ field: 'base_info.email', operator: 'eq', value: '"liner@example.com"' }] },
      required_fields: ['base_info.name', 'base_info.leader_id', 'base_info.departments.department_id'],
    })
    const liner = one.data?.employees?.[0]?.base_info
    expect(one.data?.employees).toHaveLength(1)
    expect(liner?.name?.name?.default_value).toBe('林二')
    expect(liner?.leader_id).toBe(fake.user('zhaoliu').openId)
    expect(liner?.departments?.map((d) => d.department_id)).toEqual(
      ['D120', 'D110'].map((d) => fake.directory.departmentIdAs(d, 'open_department_id')),
    )
    expect(liner?.email).toBeUndefined()
    // Departments only together with the staff status (direct members, active only).
    const byDept = await list(
      {
        filter: {
          conditions: [
            { field: 'base_info.departments.department_id', operator: 'in', value: '["D210"]' },
            { field: 'work_info.staff_status', operator: 'eq', value: '1' },
          ],
        },
        page_request: { page_size: 100 },
      },
      { department_id_type: 'department_id' },
    )
    expect(byDept.data?.employees?.map((e) => e.base_info?.employee_id).sort()).toEqual(
      ['zhouba', 'hemei'].map((u) => fake.user(u).openId).sort(),
    )
    const refused = async (data: Record<string, unknown>) => {
      const err = await list(data).then(
        () => null,
        (e: unknown) => e,
      )
      return httpFailure(err)?.data
    }
    expect(
      await refused({
        filter: {
          conditions: [{ field: 'base_info.departments.department_id', operator: 'eq', value: '"D210"' }],
        },
      }),
    ).toMatchObject({ code: 99992402 })
    expect(await refused({ page_request: { page_size: 101 } })).toMatchObject({ code: 99992402 })
    expect(await refused({ required_fields: [] })).toMatchObject({ code: 99992402 })
    // Without directory:employee:list the API refuses, as Feishu does.
    fake.controls.setDirectoryScope(false)
    try {
      expect(await refused({})).toMatchObject({ code: 99991672 })
    } finally {
      fake.controls.setDirectoryScope(true)
    }
  })

  it('exchanges a login code once and serves user_info with the user token', async () => {
    const { client } = sdkClient(fake)
    const me = fake.user('chenyi')
    const code = fake.issueLoginCode(me.openId)
    const exchange = () =>
      fetch(`${fake.url}/open-apis/authen/v2/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          grant_type: 'authorization_code',
          client_id: fake.appId,
          client_secret: fake.appSecret,
          code,
        }),
      })
    const res = await exchange()
    const body = (await res.json()) as { code: number; access_token: string; token_type: string }
    expect(res.status).toBe(200)
    expect(body).toMatchObject({ code: 0, token_type: 'Bearer' })
    expect(body.access_token).toMatch(/^u-/)
    const again = await exchange()
    expect(again.status).toBe(400)
    expect(((await again.json()) as { error: string }).error).toBe('invalid_grant')
    const info = await client.authen.v1.userInfo.get({}, lark.withUserAccessToken(body.access_token))
    expect(info.data).toMatchObject({
      open_id: me.openId,
      union_id: me.unionId,
      name: '陈一',
      tenant_key: fake.tenantKey,
    })

    const expiring = fake.issueLoginCode(me.openId)
    fake.controls.advanceTime(181_000)
    const late = await fetch(`${fake.url}/open-apis/authen/v2/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'authorization_code',
        client_id: fake.appId,
        client_secret: fake.appSecret,
        code: expiring,
      }),
    })
    expect(late.status).toBe(400)
  })

  it('replies, edits, reads back and limits sends to 5 QPS per receiver', async () => {
    const { client } = sdkClient(fake)
    const inbound = fake.controls.addUserMessage({ senderUserId: 'hemei', text: '/status 42' })
    const reply = await client.im.v1.message.reply({
      path: { message_id: inbound.messageId },
      data: { msg_type: 'text', content: JSON.stringify({ text: '处理中' }) },
    })
    expect(reply.data).toMatchObject({
      parent_id: inbound.messageId,
      root_id: inbound.messageId,
      chat_id: inbound.chatId,
    })
    const replyId = reply.data?.message_id ?? ''
    await client.im.v1.message.update({
      path: { message_id: replyId },
      data: { msg_type: 'text', content: JSON.stringify({ text: '已完成' }) },
    })
    const got = await client.im.v1.message.get({ path: { message_id: replyId } })
    expect(got.data?.items?.[0]?.body?.content).toBe(JSON.stringify({ text: '已完成' }))
    expect(got.data?.items?.[0]?.updated).toBe(true)
    expect(fake.recorder.messagesTo(fake.user('hemei').openId).map((m) => m.messageId)).toContain(replyId)

    const target = fake.user('gaojie').openId
    const codes = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        client.im.v1.message
          .create({
            params: { receive_id_type: 'open_id' },
            data: { receive_id: target, msg_type: 'text', content: JSON.stringify({ text: `n${i}` }) },
          })
          .then(
            (r) => r.code,
            (e: unknown) => httpFailure(e)?.data.code ?? -1,
          ),
      ),
    )
    expect(codes.filter((c) => c === 230020)).toHaveLength(1)
    expect(fake.recorder.messagesPerReceiver().get(target)).toHaveLength(5)
  })

  it('batch-sends to users and departments, reporting invalid ids', async () => {
    const { client } = sdkClient(fake)
    const res = (await client.request({
      method: 'POST',
      url: '/open-apis/message/v4/batch_send/',
      data: {
        msg_type: 'text',
        content: { text: '全员通知' },
        department_ids: ['D120', 'D999'],
        user_ids: ['sunqi', 'ghost'],
      },
    })) as {
      code: number
      data: { message_id: string; invalid_department_ids: string[]; invalid_user_ids: string[] }
    }
    expect(res.code).toBe(0)
    expect(res.data.message_id).toMatch(/^bm-/)
    expect(res.data.invalid_department_ids).toEqual(['D999'])
    expect(res.data.invalid_user_ids).toEqual(['ghost'])
    const copies = fake.recorder.sentMessages().filter((m) => m.batchMessageId === res.data.message_id)
    expect(copies.map((m) => m.receiver.kind === 'user' && m.receiver.openId).sort()).toEqual(
      ['zhaoliu', 'chenyi', 'liner', 'sunqi'].map((u) => fake.user(u).openId).sort(),
    )
  })

  it('issues JSAPI tickets, legacy OIDC tokens and file keys', async () => {
    const { client } = sdkClient(fake)
    const t1 = (await client.request({ method: 'POST', url: '/open-apis/jssdk/ticket/get' })) as {
      data: { ticket: string; expire_in: number }
    }
    const t2 = (await client.request({ method: 'POST', url: '/open-apis/jssdk/ticket/get' })) as typeof t1
    expect(t1.data.ticket).toBe(t2.data.ticket)
    expect(t1.data.expire_in).toBeGreaterThan(7000)

    const code = fake.issueLoginCode(fake.user('liner').openId)
    const oidc = await client.authen.v1.oidcAccessToken.create({
      data: { grant_type: 'authorization_code', code },
    })
    expect(oidc.data?.access_token).toMatch(/^u-/)

    const file = await client.im.v1.file.create({
      data: { file_type: 'pdf', file_name: 'contract.pdf', file: Buffer.from('%PDF-1.4 fake') },
    })
    expect(file?.file_key).toMatch(/^file_v3_/)
    const rec = fake.recorder.find('POST', '/open-apis/im/v1/files').at(-1)
    expect(rec?.body).toMatchObject({ fields: { file_type: 'pdf', file_name: 'contract.pdf' } })
  })

  it('uploads images via multipart', async () => {
    const { client } = sdkClient(fake)
    const res = await client.im.v1.image.create({
      data: { image_type: 'message', image: Buffer.from('\x89PNG\r\n\x1a\nfake') },
    })
    expect(res?.image_key).toMatch(/^img_v3_/)
  })
})

describe('push builders', () => {
  it('encrypts and signs like Feishu, leaving url_verification unsigned', async () => {
    const push = createPushBuilder({
      appId: 'cli_0123456789abcdef',
      tenantKey: '736588c9260f175d',
      verificationToken: 'vt-123',
      encryptKey: 'ek-456',
    })
    const p = await push.cardAction({
      operator: { openId: 'ou_1' },
      value: { a: 1 },
      messageId: 'om_1',
      chatId: 'oc_1',
    })
    const encrypted = (JSON.parse(p.body) as { encrypt: string }).encrypt
    const plain = JSON.parse(await decryptFeishu('ek-456', encrypted)) as { header: { event_type: string } }
    expect(plain.header.event_type).toBe('card.action.trigger')
    expect(
      await verifyFeishuSignature({
        timestamp: p.headers['X-Lark-Request-Timestamp'] ?? '',
        nonce: p.headers['X-Lark-Request-Nonce'] ?? '',
        encryptKey: 'ek-456',
        rawBody: p.body,
        signature: p.headers['X-Lark-Signature'],
      }),
    ).toBe(true)
    const challenge = await push.urlVerification('abc')
    expect(challenge.headers['X-Lark-Signature']).toBeUndefined()
    const decoded = lark.generateChallenge(JSON.parse(challenge.body), { encryptKey: 'ek-456' })
    expect(decoded.challenge).toEqual({ challenge: 'abc' })
  })
})

describe('long connection gateway with the real WSClient', () => {
  it('delivers pushed events, returns the handler reply and survives a dropped connection', async () => {
    const fake = await createFakeFeishu({ ws: { ReconnectInterval: 0.05, ReconnectNonce: 0 } })
    const seen: string[] = []
    const dispatcher = new lark.EventDispatcher({ logger: silent }).register<{
      'card.action.trigger': (data: { action?: { value?: unknown } }) => Promise<unknown>
    }>({
      'im.message.receive_v1': async (data) => {
        seen.push(data.message.content)
        return undefined
      },
      'card.action.trigger': async (data) => {
        seen.push(JSON.stringify(data.action?.value))
        return {}
      },
    })
    const wsClient = new lark.WSClient({
      appId: fake.appId,
      appSecret: fake.appSecret,
      domain: fake.url,
      logger: silent,
      loggerLevel: lark.LoggerLevel.error,
    })
    const push = createPushBuilder({ appId: fake.appId, tenantKey: fake.tenantKey, verificationToken: 'vt' })
    try {
      await wsClient.start({ eventDispatcher: dispatcher })
      await fake.ws.waitForConnection(3000)
      const clicked = push.envelope({
        eventType: 'card.action.trigger',
        event: { operator: { open_id: 'ou_x' }, action: { tag: 'button', value: { op: 'approve', id: 42 } } },
      })
      expect(await fake.ws.pushEvent(clicked)).toEqual({})

      const sender = fake.user('lisi')
      const msg = fake.controls.addUserMessage({
        senderUserId: 'lisi',
        text: `/approve 42 ${'很长的备注'.repeat(50)}`,
      })
      const received = push.envelope({
        eventType: 'im.message.receive_v1',
        event: {
          sender: { sender_id: { open_id: sender.openId }, sender_type: 'user' },
          message: { message_id: msg.messageId, chat_id: msg.chatId, chat_type: 'p2p', content: msg.content },
        },
      })
      const raw = await fake.ws.pushEventRaw(received, { fragments: 3, order: [2, 0, 1] })
      expect(raw).toMatchObject({ code: 200, data: undefined })
      expect(seen).toEqual(['{"op":"approve","id":42}', msg.content])

      expect(fake.ws.dropConnections()).toBe(1)
      await new Promise((r) => setTimeout(r, 20))
      await fake.ws.waitForConnection(3000)
      expect(fake.ws.stats.connects).toBe(2)
      expect(await fake.ws.pushEvent(clicked)).toEqual({})
    } finally {
      wsClient.close({ force: true })
      await fake.close()
    }
  })
})
