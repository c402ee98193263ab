import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startInstance } from '../../bot/domain/approvals/start-instance'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { getMe } from '../../bot/domain/org/get-me'
import { getTenantSettings, setTenantSettings, tenantTimeZone } from '../../bot/domain/org/time-zone'
import type { Database } from '../../db/client'
import { notices, users } from '../../db/schema'
import { seedApprovalTemplates } from '../../db/seed/approvals'
import { seedNotices } from '../../db/seed/notices'
import type { SeededOrg } from '../../db/seed/org'
import { actingAs } from '../helpers/actors'
import { type CardSampleRecords, createSalesSamples, day, renderEveryCard } from '../helpers/card-samples'
import { say } from '../helpers/chat'
import { dayFromNow } from '../helpers/dates'
import { createTestTenant, openTestDatabase } from '../helpers/db'
import { cardOfPayload } from '../helpers/outbox-card'
import { cardsTo, tap } from './approvals-harness'

/**
 * The card types whose reader needs a time (when it was published, submitted, due): each must show the
 * sample's time in the reader's zone.
 */
const MUST_SHOW_TIME = new Set([
  'approvalCcCard',
  'approvalTaskCard',
  'approvalTodoCard',
  'followUpReminderCard',
  'leadCard',
  'paymentOverdueCard',
  'approvalProgressCard',
  'poolWarningCard',
  'noticeChatCard',
  'noticeRecipientCard',
  'noticeRecipientCardUnread',
  'noticeListCard',
  'reportCard',
  'serviceTicketCard',
  'channelsCard',
  'morningBriefCard',
  'teamDigestCard',
])
/** Card types that show no time by design (pickers, help, forms, counts, alerts, results of a tap). */
const SHOWS_NO_TIME = new Set([
  'opportunityCard',
  'opportunityPickCard',
  'paymentRecordedCard',
  'approvalStartCard',
  'approvalTemplatesCard',
  'approvalSubmittedCard',
  'approvalResultCard',
  'approvalWebhookFailedCard',
  'customerCard',
  'customerPickCard',
  'nearbyCard',
  'helpCard',
  'privateReplyCard',
  'whoAmICard',
  'noticeReminderCard',
  'noticeRetractedCard',
  'noticeSummaryCard',
  'reportListCard',
  'platformUsageWarningCard',
  'directorySyncStoppedCard',
  'ticketConfirmCard',
  'leadConfirmCard',
])

/** Every card shows times in China time: 07:30 in Beijing is still the previous day in UTC. */
let database: Database
let org: SeededOrg
let records: CardSampleRecords
let tenantKey: string

// 07:30 Beijing time tomorrow (23:30 UTC today): a date shown in UTC would be a day early.
const tomorrow = dayFromNow(1)
const at = new Date(`${tomorrow}T07:30:00+08:00`)
const utcDay = at.toISOString().slice(0, 10)
const clock = { now: () => at }
/**
 * Cards showing calendar days rather than instants (a payment's due date, a report's period: stored or asked
 * for as days, and shown as given, whatever the zone): the day they must show.
 */
const CALENDAR_DAY: Record<string, string> = {
  paymentOverdueCard: day(at, -3),
  reportCard: day(at, 0),
  channelsCard: day(at, 0),
  teamDigestCard: day(at, 0),
}
/** Cards listing a day's items under the day's heading: each line shows its time of day only. */
const TIME_OF_DAY = new Set(['morningBriefCard'])
/** Whether a card's text shows the sample instant (`day`, `hm`: its day and time in the reader's zone). */
const showsTime = (name: string, text: string, day: string, hm: string): boolean => {
  const calendar = CALENDAR_DAY[name]
  if (calendar) return text.includes(calendar)
  if (TIME_OF_DAY.has(name)) return text.includes(`- ${hm} `)
  return text.includes(day) || text.includes(`${day.slice(5)} ${hm}`)
}

beforeAll(async () => {
  database = await openTestDatabase()
  tenantKey = `card-times-${Date.now()}`
  org = await createTestTenant(database, { tenantKey })
  await seedApprovalTemplates(database.db, org)
  await seedNotices(database.db, org)
  const ctx = actingAs(database, org, 'liuyang', 'api', clock)
  const customer = await createCustomer({ ctx, input: { name: '华东精密机械有限公司' } })
  const view = await startInstance({
    ctx,
    input: {
      templateKey: 'expense',
      form: { category: 'travel', amount: 120_00, date: dayFromNow(-1), description: '打车' },
    },
  })
  const [notice] = await database.db
    .select({ id: notices.id })
    .from(notices)
    .where(eq(notices.tenantId, org.tenantId))
    .limit(1)
  if (!notice) throw new Error('no seeded notice')
  records = {
    customerId: customer.id,
    customerName: customer.name,
    approvalId: view.instance.id,
    templateKey: 'expense',
    noticeId: notice.id,
    ...(await createSalesSamples(ctx, customer.id)),
  }
})
afterAll(async () => database?.close())

describe('times on cards', () => {
  it('shows every card type’s dates in Beijing time at 07:30 there', async () => {
    expect(utcDay).not.toBe(tomorrow)
    for (const locale of ['zh-CN', 'en'] as const) {
      const cards = await renderEveryCard(
        actingAs(database, org, 'liuyang', 'api', clock),
        records,
        locale,
        at,
      )
      const withDates: string[] = []
      for (const [name, card] of Object.entries(cards)) {
        // What the reader sees: button payloads (machine data, ISO times) left out.
        const text = JSON.stringify(card, (key, value) => (key === 'action' ? undefined : value))
        expect(text, `${name} shows the UTC date`).not.toContain(utcDay)
        expect(text, `${name} shows the UTC date`).not.toContain(utcDay.slice(5))
        if (showsTime(name, text, tomorrow, '07:30')) withDates.push(name)
      }
      // Every card type is classified: one that must show a time and shows none fails, and so does a new
      // card type nobody has classified yet.
      for (const name of Object.keys(cards))
        expect(MUST_SHOW_TIME.has(name) || SHOWS_NO_TIME.has(name), `${name} is not classified`).toBe(true)
      for (const name of MUST_SHOW_TIME)
        expect(withDates, `${name} shows no time (${locale})`).toContain(name)
    }
  })
})

describe('a tenant in another time zone (M5)', () => {
  // 07:30 in Beijing is 15:30 the day before in Los Angeles (23:30 UTC the same day).
  const la = 'America/Los_Angeles'
  const laDay = utcDay

  it('an admin sets the zone; a rep may not; an unknown zone is refused naming the field', async () => {
    const admin = actingAs(database, org, 'wangjianguo', 'api', clock)
    expect((await getTenantSettings({ ctx: admin })).timeZone).toBe('Asia/Shanghai')
    await expect(
      setTenantSettings({ ctx: actingAs(database, org, 'liuyang', 'api', clock), input: { timeZone: la } }),
    ).rejects.toMatchObject({ code: 'forbidden' })
    await expect(
      setTenantSettings({ ctx: admin, input: { timeZone: 'Mars/Olympus' } }),
    ).rejects.toMatchObject({
      details: { field: 'timeZone' },
    })
    expect(await setTenantSettings({ ctx: admin, input: { timeZone: la } })).toEqual({ timeZone: la })
    expect(await tenantTimeZone(admin)).toBe(la)
    // The mini-app learns it with the signed-in user.
    expect((await getMe({ ctx: actingAs(database, org, 'liuyang', 'api', clock) })).timeZone).toBe(la)
  })

  it('renders every card type in the tenant zone, and chat answers use it', async () => {
    const ctx = actingAs(database, org, 'liuyang', 'api', clock)
    const zone = await tenantTimeZone(ctx)
    expect(zone).toBe(la)
    const cards = await renderEveryCard(ctx, records, 'zh-CN', at, zone)
    const withDates: string[] = []
    for (const [name, card] of Object.entries(cards)) {
      const text = JSON.stringify(card, (key, value) => (key === 'action' ? undefined : value))
      expect(text, `${name} shows the Beijing date`).not.toContain(`${tomorrow.slice(5)} 07:30`)
      if (showsTime(name, text, laDay, '15:30')) withDates.push(name)
    }
    // Every card that must show a time shows it in Los Angeles.
    for (const name of MUST_SHOW_TIME) expect(withDates, `${name} shows no Los Angeles time`).toContain(name)
    // Through chat dispatch: the approver's 我的审批 card shows the request's time in Los Angeles.
    await say(database, { tenantKey }, 'zhangwei', '我的审批')
    const rows = await cardsTo(database, org, 'zhangwei')
    const card = await cardOfPayload(database, rows.at(-1)?.payload)
    expect(JSON.stringify(card)).toContain(`${laDay.slice(5)} 15:30`)
    // Through a tap: the card the tap answers with (the to-do list) shows it in Los Angeles too.
    const tapped = await tap(database, { tenantKey }, 'zhangwei', { a: 'approval.todo' })
    expect(JSON.stringify(tapped.card)).toContain(`${laDay.slice(5)} 15:30`)
  })

  it('a person with their own zone from the directory sees times in it, the others the tenant’s', async () => {
    // 07:30 in Beijing is 00:30 the same day in Berlin (winter time).
    await database.db
      .update(users)
      .set({ timeZone: 'Europe/Berlin' })
      .where(eq(users.id, org.users.zhangwei ?? ''))
    expect((await getMe({ ctx: actingAs(database, org, 'zhangwei', 'api', clock) })).timeZone).toBe(
      'Europe/Berlin',
    )
    expect((await getMe({ ctx: actingAs(database, org, 'liuyang', 'api', clock) })).timeZone).toBe(
      'America/Los_Angeles',
    )
    await say(database, { tenantKey }, 'zhangwei', '我的审批')
    const rows = await cardsTo(database, org, 'zhangwei')
    const card = JSON.stringify(await cardOfPayload(database, rows.at(-1)?.payload))
    expect(card).toContain(`${tomorrow.slice(5)} 00:30`)
    expect(card).not.toContain(`${laDay.slice(5)} 15:30`)
  })
})
