import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DomainError } from '../../bot/domain/errors'
import { createFeishuEdge, type FeishuEdge } from '../../bot/platforms/feishu/edge'
import { createFakeFeishu, type FakeFeishu } from '../fakes/feishu'

/** The fetch-only Feishu client of the Workers entry, against the fake Open API (tokens, failures). */
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }
let fake: FakeFeishu
const edgeOf = (): FeishuEdge =>
  createFeishuEdge(
    {
      appId: fake.appId,
      appSecret: fake.appSecret,
      verificationToken: 'vt',
      encryptKey: 'ek',
      domain: fake.url,
    },
    quiet,
  )

beforeAll(async () => {
  fake = await createFakeFeishu()
})
afterAll(async () => {
  await fake?.close()
})

describe('Feishu edge client', () => {
  it('fetches the bot open_id once, not caching a failure, and renews a token Feishu calls invalid', async () => {
    const edge = edgeOf()
    fake.controls.failNext({ path: '/open-apis/bot/v3/info', status: 500 })
    expect(await edge.inbound.botOpenId()).toBeNull()
    // A token is cached now; Feishu invalidates it before the next call.
    fake.controls.expireTokens()
    expect(await edge.inbound.botOpenId()).toBe(fake.botOpenId)
    const tokenCalls = fake.recorder.find('POST', '/open-apis/auth/v3/tenant_access_token/internal')
    const before = tokenCalls.length
    expect(before).toBe(2) // the first token, then its renewal after 99991663
    expect(await edge.inbound.botOpenId()).toBe(fake.botOpenId)
    expect(fake.recorder.find('POST', '/open-apis/auth/v3/tenant_access_token/internal')).toHaveLength(before)
  })

  it('exchanges a login code for the user, once', async () => {
    const edge = edgeOf()
    const lisi = fake.user('lisi')
    const code = fake.issueLoginCode(lisi.openId)
    const user = await edge.exchangeLoginCode(code)
    expect(user).toMatchObject({ openId: lisi.openId, tenantKey: fake.tenantKey, name: '李四' })
    await expect(edge.exchangeLoginCode(code)).rejects.toMatchObject({ code: 'unauthenticated' })
  })

  it('says unavailable, not unauthenticated, when Feishu fails', async () => {
    const edge = edgeOf()
    const code = fake.issueLoginCode(fake.user('lisi').openId)
    fake.controls.failNext({ path: '/open-apis/authen/v1/user_info', status: 503, code: 0 })
    const err = await edge.exchangeLoginCode(code).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DomainError)
    expect((err as DomainError).code).toBe('unavailable')
  })
})
