import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dispatchEvent } from '../../bot/chat/dispatch'
import type { CardActionHandler, InboundCardAction } from '../../bot/chat/model'
import { systemClock } from '../../bot/lib/clock'
import type { Database } from '../../db/client'
import { createTestTenant, openTestDatabase } from '../helpers/db'

/**
 * A card tap's event id is claimed inside the tap's transaction: a tap whose transaction failed leaves no claim,
 * so the same event redelivered is applied (once); a tap that committed answers its redelivery with nothing.
 */
const silent = { debug() {}, info() {}, warn() {}, error() {} }
let database: Database
const tenantKey = `tk_claim_${Date.now()}`

beforeAll(async () => {
  database = await openTestDatabase()
  await createTestTenant(database, { platform: 'devchat', tenantKey })
})
afterAll(async () => database?.close())

describe('a card tap redelivered', () => {
  it('is applied after a first try whose transaction failed, and once only after one that committed', async () => {
    const key = `claim-test-${Date.now()}`
    let failNext = true
    const bump: CardActionHandler = async ({ ctx }) => {
      await ctx.db.execute(
        sql`insert into inbound_events (platform, event_id, event_type) values ('test:taps', ${`${key}:${Math.random()}`}, 'tap')`,
      )
      if (failNext) {
        failNext = false
        throw new Error('the database went away mid-tap')
      }
      return { toast: { kind: 'success', text: '已处理' } }
    }
    const deps = { database, logger: silent, clock: systemClock, cardActions: { 'test.bump': bump } }
    const event: InboundCardAction = {
      kind: 'card_action',
      platform: 'devchat',
      tenantKey,
      eventId: `evt_${key}`,
      operator: { openId: 'liuyang' },
      payload: { a: 'test.bump' },
      formValues: {},
    }
    const applied = async () =>
      (
        await database.rows<{ n: number }>(
          sql`select count(*)::int as n from inbound_events where platform = 'test:taps' and event_id like ${`${key}:%`}`,
        )
      )[0]?.n
    await expect(dispatchEvent(deps, event, { claim: true })).rejects.toThrow('mid-tap')
    expect(await applied()).toBe(0)
    expect(await dispatchEvent(deps, event, { claim: true })).toMatchObject({ toast: { text: '已处理' } })
    expect(await applied()).toBe(1)
    // Already applied: nothing to say, no toast, no card.
    expect(await dispatchEvent(deps, event, { claim: true })).toEqual({ locale: 'zh-CN' })
    expect(await applied()).toBe(1)
  })

  it('from someone the directory does not know leaves no claim, so the redelivery after they arrive applies', async () => {
    const key = `claim-unknown-${Date.now()}`
    const deps = {
      database,
      logger: silent,
      clock: systemClock,
      cardActions: {
        'test.ok': (async () => ({ toast: { kind: 'success', text: '好' } })) as CardActionHandler,
      },
    }
    const event: InboundCardAction = {
      kind: 'card_action',
      platform: 'devchat',
      tenantKey,
      eventId: `evt_${key}`,
      operator: { openId: `nobody_${key}` },
      payload: { a: 'test.ok' },
      formValues: {},
    }
    // The tapper is looked up beside the claim, in its transaction: refused, and the claim rolled back.
    expect(await dispatchEvent(deps, event, { claim: true })).toMatchObject({
      toast: { kind: 'error', text: expect.stringContaining('没有权限') },
    })
    const claims = async () =>
      (
        await database.rows<{ n: number }>(
          sql`select count(*)::int as n from inbound_events where event_id = ${event.eventId}`,
        )
      )[0]?.n
    expect(await claims()).toBe(0)
    // The same event from a known person (their record arrived): applied, and claimed once.
    const known = { ...event, operator: { openId: 'liuyang' } }
    expect(await dispatchEvent(deps, known, { claim: true })).toMatchObject({ toast: { text: '好' } })
    expect(await claims()).toBe(1)
  })
})
