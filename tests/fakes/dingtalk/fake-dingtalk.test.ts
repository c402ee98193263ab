import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createDingtalkPushBuilder, createFakeDingtalk, type FakeDingtalk } from '.'

let fake: FakeDingtalk

beforeAll(async () => {
  fake = await createFakeDingtalk({
    groups: [{ openConversationId: 'cidGROUP1', name: '销售群', memberUserIds: ['lisi'] }],
  })
})
afterAll(async () => {
  await fake.close()
})
beforeEach(() => {
  fake.controls.clearFailures()
  fake.controls.resetRateLimits()
})

async function call(method: string, path: string, body?: unknown, token?: string) {
  const res = await fetch(`${fake.url}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { 'x-acs-dingtalk-access-token': token } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

async function token(): Promise<string> {
  const r = await call('POST', '/v1.0/oauth2/accessToken', { appKey: fake.appKey, appSecret: fake.appSecret })
  return String(r.body.accessToken)
}

describe('fake DingTalk Open API', () => {
  it('issues tokens (same within validity), refuses bad credentials and expired tokens', async () => {
    const bad = await call('POST', '/v1.0/oauth2/accessToken', { appKey: fake.appKey, appSecret: 'nope' })
    expect(bad.status).toBe(400)
    expect(bad.body.code).toBe('InvalidAuthentication')
    const t1 = await token()
    expect(await token()).toBe(t1)
    const old = await fetch(`${fake.url}/gettoken?appkey=${fake.appKey}&appsecret=${fake.appSecret}`)
    expect(((await old.json()) as { access_token: string }).access_token).toBe(t1)
    fake.controls.expireTokens()
    const denied = await call('PUT', '/v1.0/card/instances', { outTrackId: 'x' }, t1)
    expect(denied).toMatchObject({ status: 400, body: { code: 'InvalidAuthentication' } })
    const oldDenied = await fetch(`${fake.url}/topapi/v2/user/get?access_token=${t1}`, {
      method: 'POST',
      body: '{}',
    })
    expect(((await oldDenied.json()) as { errcode: number }).errcode).toBe(40014)
    expect(await token()).not.toBe(t1)
    expect(JSON.stringify(fake.recorder.calls)).not.toContain(fake.appSecret)
  })

  it('sends robot messages with batch limits and msgParam as a JSON string', async () => {
    const t = await token()
    const ok = await call(
      'POST',
      '/v1.0/robot/oToMessages/batchSend',
      {
        robotCode: fake.robotCode,
        userIds: ['lisi', 'ghost'],
        msgKey: 'sampleText',
        msgParam: JSON.stringify({ content: '你好' }),
      },
      t,
    )
    expect(ok.status).toBe(200)
    expect(ok.body.invalidStaffIdList).toEqual(['ghost'])
    const notString = await call(
      'POST',
      '/v1.0/robot/oToMessages/batchSend',
      {
        robotCode: fake.robotCode,
        userIds: ['lisi'],
        msgKey: 'sampleText',
        msgParam: { content: 'x' },
      },
      t,
    )
    expect(notString.status).toBe(400)
    const tooMany = await call(
      'POST',
      '/v1.0/robot/oToMessages/batchSend',
      {
        robotCode: fake.robotCode,
        userIds: Array.from({ length: 21 }, (_, i) => `u${i}`),
        msgKey: 'sampleText',
        msgParam: '{}',
      },
      t,
    )
    expect(tooMany.status).toBe(400)
    const group = await call(
      'POST',
      '/v1.0/robot/groupMessages/send',
      {
        robotCode: fake.robotCode,
        openConversationId: 'cidGROUP1',
        msgKey: 'sampleMarkdown',
        msgParam: JSON.stringify({ title: 't', text: 'x' }),
      },
      t,
    )
    expect(group.status).toBe(200)
    expect(fake.robotMessages.map((m) => [m.kind, m.to])).toEqual([
      ['oto', 'lisi'],
      ['group', 'cidGROUP1'],
    ])
  })

  it('creates a card once per outTrackId (a repeat answers param.cardAlreadyExist), checks string-only data, and updates it', async () => {
    const t = await token()
    const base = {
      cardTemplateId: 'tpl.schema',
      outTrackId: 'ot-1',
      openSpaceId: 'dtv1.card//IM_ROBOT.lisi',
      imRobotOpenSpaceModel: { supportForward: true },
      imRobotOpenDeliverModel: { spaceType: 'IM_ROBOT' },
    }
    const numbers = await call(
      'POST',
      '/v1.0/card/instances/createAndDeliver',
      { ...base, cardData: { cardParamMap: { n: 1 } } },
      t,
    )
    expect(numbers.status).toBe(400)
    const big = await call(
      'POST',
      '/v1.0/card/instances/createAndDeliver',
      { ...base, cardData: { cardParamMap: { n: 'x'.repeat(1025) } } },
      t,
    )
    expect(big.status).toBe(400)
    const first = await call(
      'POST',
      '/v1.0/card/instances/createAndDeliver',
      { ...base, cardData: { cardParamMap: { title: 'A' } } },
      t,
    )
    expect(first.body).toMatchObject({
      success: true,
      result: { deliverResults: [{ spaceType: 'IM_ROBOT', spaceId: 'lisi', success: true }] },
    })
    const repeat = await call(
      'POST',
      '/v1.0/card/instances/createAndDeliver',
      { ...base, cardData: { cardParamMap: { title: 'B' } } },
      t,
    )
    expect(repeat).toMatchObject({ status: 400, body: { code: 'param.cardAlreadyExist' } })
    const card = fake.cards.get('ot-1')
    expect(card?.createCalls).toBe(2)
    expect(card?.cardParamMap).toEqual({ title: 'A' })
    expect(card?.history).toHaveLength(1)
    await call(
      'PUT',
      '/v1.0/card/instances',
      {
        outTrackId: 'ot-1',
        cardData: { cardParamMap: { x: '1' } },
        cardUpdateOptions: { updateCardDataByKey: true },
      },
      t,
    )
    expect(card?.cardParamMap).toEqual({ title: 'A', x: '1' })
    const unknown = await call(
      'PUT',
      '/v1.0/card/instances',
      { outTrackId: 'nope', cardData: { cardParamMap: {} } },
      t,
    )
    expect(unknown).toMatchObject({ status: 400, body: { code: 'param.cardNotExist' } })
    const noUser = await call(
      'POST',
      '/v1.0/card/instances/createAndDeliver',
      {
        ...base,
        outTrackId: 'ot-2',
        openSpaceId: 'dtv1.card//IM_ROBOT.ghost',
        cardData: { cardParamMap: {} },
      },
      t,
    )
    expect(noUser.body).toMatchObject({ result: { deliverResults: [{ success: false }] } })
  })

  it('pages contacts and throttles with DingTalk error shapes', async () => {
    const t = await token()
    const old = async (path: string, body: unknown) =>
      (await (
        await fetch(`${fake.url}${path}?access_token=${t}`, { method: 'POST', body: JSON.stringify(body) })
      ).json()) as Record<string, unknown>
    const subs = await old('/topapi/v2/department/listsub', { dept_id: 1 })
    expect((subs.result as unknown[]).length).toBe(2)
    const page = await old('/topapi/v2/user/list', { dept_id: 101, cursor: 0, size: 1 })
    expect(page.result).toMatchObject({ has_more: true, next_cursor: 1 })
    expect((await old('/topapi/v2/user/list', { dept_id: 101, cursor: 0, size: 101 })).errcode).toBe(40035)
    expect((await old('/topapi/v2/user/get', { userid: 'wangwu' })).result).toMatchObject({
      manager_userid: 'lisi',
    })
    fake.controls.setPerApiPerSecond(2)
    fake.controls.resetRateLimits()
    const codes: unknown[] = []
    for (let i = 0; i < 3; i++) codes.push((await old('/topapi/v2/user/get', { userid: 'lisi' })).errcode)
    expect(codes).toEqual([0, 0, 90018])
    for (let i = 0; i < 2; i++) await call('PUT', '/v1.0/card/instances', { outTrackId: 'ot-1' }, t)
    const limited = await call('PUT', '/v1.0/card/instances', { outTrackId: 'ot-1' }, t)
    expect(limited).toMatchObject({
      status: 403,
      body: { code: 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi' },
    })
    fake.controls.setPerApiPerSecond(20)
    fake.controls.resetRateLimits()
    fake.controls.throttleGlobally(2)
    expect((await old('/topapi/v2/user/get', { userid: 'lisi' })).errcode).toBe(90002)
    expect(await call('PUT', '/v1.0/card/instances', { outTrackId: 'ot-1' }, t)).toMatchObject({
      status: 403,
      body: { code: 'Forbidden.AccessDenied.QpsLimitForApi' },
    })
  })

  it('counts non-exempt calls against the monthly quota and answers ApiCountLimitForOrg / 90020 past it', async () => {
    const t = await token()
    fake.controls.newMonth()
    fake.controls.setMonthlyQuota({ apiCalls: 2 })
    await (
      await fetch(`${fake.url}/topapi/v2/user/get?access_token=${t}`, {
        method: 'POST',
        body: JSON.stringify({ userid: 'lisi' }),
      })
    ).json()
    expect(fake.controls.usage().apiCalls).toBe(0) // contacts are exempt
    for (let i = 0; i < 2; i++) await call('PUT', '/v1.0/card/instances', { outTrackId: 'ot-1' }, t)
    expect(await call('PUT', '/v1.0/card/instances', { outTrackId: 'ot-1' }, t)).toMatchObject({
      status: 403,
      body: { code: 'Forbidden.AccessDenied.ApiCountLimitForOrg' },
    })
    const notice = await (
      await fetch(`${fake.url}/topapi/message/corpconversation/asyncsend_v2?access_token=${t}`, {
        method: 'POST',
        body: JSON.stringify({
          agent_id: 1,
          userid_list: 'lisi',
          msg: { msgtype: 'text', text: { content: 'x' } },
        }),
      })
    ).json()
    expect(notice).toMatchObject({ errcode: 90020 })
    fake.controls.newMonth()
    fake.controls.setMonthlyQuota({ apiCalls: 5000 })
    expect((await call('PUT', '/v1.0/card/instances', { outTrackId: 'ot-1' }, t)).status).toBe(200)
  })

  it('answers a per-IP ban with a 200 deny page without errcode, as JSON or HTML', async () => {
    const t = await token()
    fake.controls.banIp(60_000, 'json')
    const res = await fetch(`${fake.url}/topapi/v2/user/list?access_token=${t}`, {
      method: 'POST',
      body: JSON.stringify({ dept_id: 1, cursor: 0, size: 10 }),
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toMatchObject({ status: 1111, punish: 'deny' })
    expect(body.errcode).toBeUndefined()
    fake.controls.banIp(60_000, 'html')
    const html = await fetch(`${fake.url}/v1.0/card/instances`, { method: 'PUT', body: '{}' })
    expect(html.status).toBe(200)
    expect(await html.text()).toContain('deny')
    fake.controls.liftIpBan()
  })

  it('builds event pushes that decode to the official test vector', () => {
    const push = createDingtalkPushBuilder({
      appKey: 'ding6ccabc44d2c8d38b',
      appSecret: 's',
      corpId: 'c',
      token: 'mryue',
      aesKey: 'Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7',
      cardApiSecret: 'x',
    })
    const plain = push.openAnswer({
      msg_signature: '03044561471240d4a14bb09372dfcfd4fd0e40cb',
      timeStamp: '1608001896814',
      nonce: 'WL4PK6yA',
      encrypt:
        '0vJiX6vliEpwG3U45CtXqi+m8PXbQRARJ8p8BbDuD1EMTDf0jKpQ79QS93qEk7XHpP6u+oTTrd15NRPvNvmBKyDCYxxOK+HZeKju4yhELOFchzNukR+t8SB/qk4ROMu3',
    })
    expect(plain).toBe('{"EventType":"check_url"}')
    const e = push.event({ EventType: 'user_add_org', UserId: ['a'] })
    const q = new URLSearchParams(e.path.split('?')[1])
    expect(
      push.openAnswer({
        msg_signature: q.get('msg_signature'),
        timeStamp: e.timestamp,
        nonce: e.nonce,
        encrypt: e.encrypt,
      }),
    ).toBe('{"EventType":"user_add_org","UserId":["a"]}')
    const r = push.robotMessage({ text: '帮助', senderStaffId: 'lisi', timestamp: 1700000000000 }, '/x')
    expect(push.ctx.appSecret).toBe('s')
    expect(r.headers.sign).toBeTruthy()
  })
})
