import { and, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sendCard } from '../../bot/domain/chat/send'
import { quotaResetAt } from '../../bot/domain/platform-usage'
import { signToken } from '../../bot/lib/session-token'
import type { Database } from '../../db/client'
import { messages, roles, tenants, userIdentities, userRoles } from '../../db/schema'
import { createFakeDingtalk, type FakeDingtalk } from '../fakes/dingtalk'
import { TEST_SESSION_SECRET } from '../helpers/app'
import { type DingtalkStack, startDingtalkStack } from '../helpers/dingtalk'
import { openOwnDatabase } from '../helpers/feishu'
import { waitFor } from '../helpers/wait'

let fake: FakeDingtalk
let own: { database: Database; drop: () => Promise<void> }
let stack: DingtalkStack

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }
const CREATE = '/v1.0/card/instances/createAndDeliver'

beforeAll(async () => {
  fake = await createFakeDingtalk()
  own = await openOwnDatabase()
  stack = await startDingtalkStack(fake, own.database)
  // 张三 administers the org.
  await own.database.db.insert(roles).values({
    id: 'rol_dt_admin',
    tenantId: stack.tenantId,
    key: 'admin',
    name: '管理员',
    permissions: ['*'],
  })
  await own.database.db
    .insert(userRoles)
    .values({ tenantId: stack.tenantId, userId: await userIdOf('zhangsan'), roleId: 'rol_dt_admin' })
})

afterAll(async () => {
  await stack?.close()
  await own?.drop()
  await fake?.close()
})

async function userIdOf(openId: string): Promise<string> {
  const [row] = await own.database.db
    .select({ userId: userIdentities.userId })
    .from(userIdentities)
    .where(and(eq(userIdentities.tenantId, stack.tenantId), eq(userIdentities.openId, openId)))
  if (!row) throw new Error(`no identity for ${openId}`)
  return row.userId
}

const ctx = () => ({
  tenantId: stack.tenantId,
  actor: { kind: 'system' as const, reason: 'test' },
  db: own.database.db,
  clock: stack.clock,
  logger: quiet,
})

async function usage(openId: string) {
  const token = await signToken(TEST_SESSION_SECRET, {
    t: stack.tenantId,
    u: await userIdOf(openId),
    p: 'dingtalk',
    exp: Math.floor(Date.now() / 1000) + 600,
    k: 'session',
    j: `j-${openId}-${Math.random()}`,
  })
  const res = await stack.app.request('/api/v1/admin/platform-usage?platform=dingtalk', {
    headers: { authorization: `Bearer ${token}` },
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

const cardsTo = (userId: string) =>
  [...fake.cards.values()].filter((c) =>
    c.spaces.some((s) => s.spaceType === 'IM_ROBOT' && s.spaceId === userId),
  )

describe('DingTalk monthly quota', () => {
  it("counts the tenant's quota-counted calls per month and shows them to admins only", async () => {
    await sendCard(ctx(), {
      to: { userId: await userIdOf('lisi') },
      card: { header: { title: '计数' }, elements: [] },
    })
    await stack.settle()
    const admin = await usage('zhangsan')
    expect(admin.status).toBe(200)
    // The callback registration and the card: both count; the directory sync (contacts) does not.
    expect(admin.body).toMatchObject({ platform: 'dingtalk', apiCalls: 2, apiQuota: 5000, pushQuota: 3000 })
    expect(fake.controls.usage().apiCalls).toBe(2)
    expect((await usage('lisi')).status).toBe(403)
  })

  it('warns the admins by card once at 80 % and once at 95 % of the quota', async () => {
    await own.database.db
      .update(tenants)
      .set({ settings: sql`${tenants.settings} || '{"platformQuota":{"apiCalls":20,"pushes":3000}}'::jsonb` })
      .where(eq(tenants.id, stack.tenantId))
    const wangwu = await userIdOf('wangwu')
    for (let i = 0; i < 18; i++)
      await sendCard(ctx(), { to: { userId: wangwu }, card: { header: { title: `第${i}条` }, elements: [] } })
    await stack.settle(15_000)
    const warnings = cardsTo('zhangsan').filter((c) => c.cardParamMap.title?.includes('额度'))
    expect(warnings.map((c) => c.cardParamMap.title)).toEqual([
      expect.stringContaining('80%'),
      expect.stringContaining('95%'),
    ])
    const view = await usage('zhangsan')
    expect(view.body.percent).toBeGreaterThanOrEqual(100)
    await own.database.db
      .update(tenants)
      .set({ settings: sql`${tenants.settings} - 'platformQuota'` })
      .where(eq(tenants.id, stack.tenantId))
  })

  it('pauses sends when DingTalk says the quota is spent: the message waits for the month to end, never fails', async () => {
    fake.controls.setMonthlyQuota({ apiCalls: fake.controls.usage().apiCalls })
    const ref = `quota:${Date.now()}`
    await sendCard(ctx(), {
      to: { userId: await userIdOf('zhaoliu') },
      card: { header: { title: '额度用尽后' }, elements: [] },
      ref,
    })
    await waitFor(
      () =>
        fake.recorder
          .find('POST', CREATE)
          .some((r) => r.code === 'Forbidden.AccessDenied.ApiCountLimitForOrg'),
      'quota answer',
    )
    const view = await waitFor(async () => {
      const v = await usage('zhangsan')
      return v.body.pausedUntil ? v.body : null
    }, 'paused')
    expect(Date.parse(String(view.pausedUntil))).toBe(quotaResetAt(Date.now()))
    expect(String(view.pauseReason)).toContain('ApiCountLimitForOrg')
    // Not recorded as failed (nor as sent): the job waits in the queue until the quota resets.
    const rows = await own.database.db
      .select({ status: messages.status })
      .from(messages)
      .where(and(eq(messages.tenantId, stack.tenantId), eq(messages.ref, ref)))
    expect(rows).toEqual([])
    const [job] = await own.database.rows<{ status: string }>(
      sql`select status from outbox where payload ->> 'ref' = ${ref}`,
    )
    expect(job?.status).toBe('relayed')
    // Further sends do not even reach DingTalk while paused.
    const calls = fake.recorder.count('POST', CREATE)
    await sendCard(ctx(), {
      to: { userId: await userIdOf('lisi') },
      card: { header: { title: '暂停中' }, elements: [] },
    })
    await waitFor(async () => {
      const [r] = await own.database.rows<{ n: number }>(
        sql`select count(*)::int as n from outbox where status = 'pending' and tenant_id = ${stack.tenantId}`,
      )
      return (r?.n ?? 1) === 0
    }, 'relayed')
    await new Promise((r) => setTimeout(r, 300))
    expect(fake.recorder.count('POST', CREATE)).toBe(calls)
  })
})
