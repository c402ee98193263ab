import { resolve } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromiumPath, OUTPUT_DIR } from '../helpers/browser'
import { type MiniappWorld, openAs as openWorldAs, startMiniappWorld } from '../helpers/miniapp-world'

// The lead pages: home's leads to contact, the list with filters, saved views and the pool, a lead's
// detail (accept, follow-up, status, convert), the new-lead form, and the channel analysis with its
// drill-down, at phone and desktop sizes, in Chinese and English.

const executablePath = chromiumPath()
const PHONE = { width: 390, height: 844 }
const DESKTOP = { width: 1280, height: 800 }

let world: MiniappWorld

// biome-ignore lint/suspicious/noExplicitAny: the tests read the JSON answers loosely
type Json = any

const api = (userKey: string, method: string, path: string, body?: unknown): Promise<Json> =>
  world.api<Json>(userKey, method, path, body)

function openAs(as: string, path: string, size: 'phone' | 'desktop', lang: 'zh-CN' | 'en' = 'zh-CN') {
  const desktop = size === 'desktop'
  return openWorldAs(
    world,
    as,
    path,
    {
      viewport: desktop ? DESKTOP : PHONE,
      deviceScaleFactor: desktop ? 1 : 2,
      isMobile: !desktop,
      hasTouch: !desktop,
      locale: lang,
    },
    lang,
  )
}

const shot = (page: Page, name: string) => page.screenshot({ path: resolve(OUTPUT_DIR, `leads-${name}.png`) })

async function expectNoHorizontalOverflow(page: Page): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  expect(overflow, 'page scrolls sideways').toBeLessThanOrEqual(0)
}

let expo = ''
let phoneChannel = ''
let assignedId = ''
let poolId = ''

beforeAll(async () => {
  if (!executablePath) return
  world = await startMiniappWorld({ executablePath, prefix: 'leads' })
  const channels = (await api('sunyue', 'GET', '/crm/channels')).items as Json[]
  expo = channels.find((c) => c.code === 'expo').id
  phoneChannel = channels.find((c) => c.code === 'phone').id
  // Marketing (crm.leads.manage) assigns one lead to 刘洋 and leaves one in the pool.
  assignedId = (
    await api('sunyue', 'POST', '/crm/leads', {
      name: '张三',
      phone: '13800000001',
      company: '华为',
      productInterest: '报价',
      channelId: expo,
      ownerId: world.org.users.liuyang,
    })
  ).lead.id
  poolId = (
    await api('sunyue', 'POST', '/crm/leads', {
      name: '池中李四',
      phone: '13800000002',
      company: '中兴',
      channelId: expo,
      ownerId: null,
    })
  ).lead.id
}, 180_000)

afterAll(async () => {
  await world?.close()
})

describe.skipIf(!executablePath)('lead pages', () => {
  it('a rep sees a new lead on home, accepts it, logs a follow-up, qualifies and converts it (phone, zh)', async () => {
    const { context, page } = await openAs('liuyang', '/', 'phone')
    const home = page.locator('.todo-section', { hasText: '待联系的线索' })
    await home.waitFor({ timeout: 20_000 })
    expect(await home.textContent()).toContain('张三 · 华为')
    await shot(page, 'phone-home')

    await home.getByText('张三 · 华为').click()
    await page.getByTestId('lead-title').waitFor({ timeout: 20_000 })
    expect(await page.getByTestId('lead-status').textContent()).toContain('新线索')
    await page.getByTestId('lead-accept').click()
    await page.getByTestId('lead-accept').waitFor({ state: 'detached', timeout: 20_000 })

    await page.getByTestId('lead-follow-up').click()
    await page.locator('.van-popup textarea').first().fill('电话沟通，客户想要报价单')
    await page.locator('[data-testid="follow-up-form"] button[type="submit"]').click()
    await page.getByText('电话沟通，客户想要报价单').waitFor({ timeout: 20_000 })
    // The follow-up shows as soon as it is saved; the status follows with the lead's reload.
    await page.getByTestId('lead-status').filter({ hasText: '已联系' }).waitFor({ timeout: 20_000 })

    await page.getByTestId('lead-status-change').click()
    await page.locator('.van-action-sheet__item', { hasText: '已确认' }).click()
    await page.getByTestId('lead-status').filter({ hasText: '已确认' }).waitFor({ timeout: 20_000 })

    await page.getByTestId('lead-convert').click()
    await page.locator('.van-dialog input[name="customerName"]').fill('华为技术有限公司')
    await page.locator('.van-dialog__confirm:visible').click()
    await page.getByTestId('lead-customer').waitFor({ timeout: 20_000 })
    await page.getByTestId('lead-status').filter({ hasText: '已转化' }).waitFor({ timeout: 20_000 })
    await page.getByText('时间线').click()
    await page.getByTestId('lead-timeline').waitFor()
    await shot(page, 'phone-detail')

    // The lead is really converted, with a customer behind it.
    const detail = await api('liuyang', 'GET', `/crm/leads/${assignedId}`)
    expect(detail.lead.status).toBe('converted')
    expect(detail.lead.customerId).toBeTruthy()
    await context.close()
  }, 120_000)

  it('claims from the pool, filters the list and keeps a saved view (phone, zh)', async () => {
    const { context, page } = await openAs('chenjing', '/leads/pool', 'phone')
    const row = page.getByTestId('lead-row').filter({ hasText: '池中李四' })
    await row.waitFor({ timeout: 20_000 })
    expect(new URL(page.url()).searchParams.get('scope')).toBe('pool')
    await shot(page, 'phone-pool')
    await row.getByTestId('lead-claim').click()
    await page.getByText('线索池是空的').waitFor({ timeout: 20_000 })
    expect((await api('chenjing', 'GET', `/crm/leads/${poolId}`)).lead.ownerName).toBe('陈静')

    // Filters live in the URL; a filtered list saved as a view comes back after a reload.
    await page.goto(`${world.url}/app/leads?scope=mine&status=new&channelId=${expo}`)
    await page.getByTestId('lead-row').filter({ hasText: '池中李四' }).waitFor({ timeout: 20_000 })
    await page.getByTestId('save-view').click()
    await page.locator('input[name="view-name"]').fill('我的展会新线索')
    await page.locator('.van-dialog__confirm:visible').click()
    await page.getByTestId('lead-view').filter({ hasText: '我的展会新线索' }).waitFor({ timeout: 20_000 })
    await page.goto(`${world.url}/app/leads`)
    const view = page.getByTestId('lead-view').filter({ hasText: '我的展会新线索' })
    await view.waitFor({ timeout: 20_000 })
    await view.click()
    await page.waitForURL(/status=new/)
    expect(new URL(page.url()).searchParams.get('channelId')).toBe(expo)
    await page.getByTestId('lead-row').filter({ hasText: '池中李四' }).waitFor({ timeout: 20_000 })
    await shot(page, 'phone-list-view')
    // Another status shows nothing of it.
    await page.goto(`${world.url}/app/leads?status=invalid`)
    await page.getByText('没有符合条件的线索').waitFor({ timeout: 20_000 })
    await context.close()
  }, 120_000)

  it('enters a lead by hand; a known phone number becomes a touch on the existing lead (phone, en)', async () => {
    const { context, page } = await openAs('liuyang', '/leads/new', 'phone', 'en')
    await page.getByTestId('lead-form').waitFor({ timeout: 20_000 })
    await page.getByTestId('lead-save').click()
    await page.getByText('Enter a name').waitFor()
    await page.locator('input[name="name"]').fill('王五')
    await page.locator('input[name="phone"]').fill('139 0000 0003')
    await page.locator('input[name="company"]').fill('小米')
    await page.getByTestId('lead-channel').selectOption(phoneChannel)
    await shot(page, 'phone-new-en')
    await page.getByTestId('lead-save').click()
    await page.getByTestId('lead-title').filter({ hasText: '王五' }).waitFor({ timeout: 20_000 })
    expect(await page.getByTestId('lead-status').textContent()).toContain('New')
    const id = new URL(page.url()).pathname.split('/').pop()

    await page.goto(`${world.url}/app/leads/new`)
    await page.locator('input[name="name"]').fill('王五')
    await page.locator('input[name="phone"]').fill('13900000003')
    await page.getByTestId('lead-save').click()
    await page.waitForURL(new RegExp(`/leads/${id}$`), { timeout: 20_000 })
    const leads = await api('liuyang', 'GET', '/crm/leads?q=王五')
    expect(leads.total).toBe(1)
    await context.close()
  }, 120_000)

  it('shows the channel analysis and drills from a figure to the same leads (desktop, en)', async () => {
    const { context, page } = await openAs('sunyue', '/leads/channels', 'desktop', 'en')
    const row = page.getByTestId('analysis-row').filter({ hasText: '展会' })
    await row.waitFor({ timeout: 20_000 })
    expect(await row.getByTestId('drill-leads').textContent()).toBe('2')
    expect(await row.getByTestId('drill-converted').textContent()).toBe('1')
    await page.getByTestId('funnel').first().waitFor()
    await page.getByTestId('lead-trend-chart').locator('canvas').waitFor({ timeout: 20_000 })
    await expectNoHorizontalOverflow(page)
    await shot(page, 'desktop-analysis-en')

    await row.getByTestId('drill-converted').click()
    await page.waitForURL(/\/app\/leads\?/)
    const q = new URL(page.url()).searchParams
    expect(q.get('reached')).toBe('converted')
    expect(q.get('channelId')).toBe(expo)
    const table = page.getByTestId('leads-table')
    await table.waitFor({ timeout: 20_000 })
    await table.getByText('张三').waitFor()
    expect(await table.getByText('池中李四').count()).toBe(0)
    await expectNoHorizontalOverflow(page)
    await shot(page, 'desktop-drill-en')
    await context.close()
  }, 120_000)

  it('lays the list and a lead out for the desktop (zh)', async () => {
    const { context, page } = await openAs('sunyue', '/leads', 'desktop')
    await page.getByTestId('leads-table').getByText('池中李四').waitFor({ timeout: 20_000 })
    await expectNoHorizontalOverflow(page)
    await shot(page, 'desktop-list')
    await page.getByTestId('leads-table').getByText('池中李四').click()
    await page.getByTestId('lead-title').waitFor({ timeout: 20_000 })
    await expectNoHorizontalOverflow(page)
    await shot(page, 'desktop-detail')
    await page.goto(`${world.url}/app/leads/channels`)
    await page.getByTestId('analysis-table').waitFor({ timeout: 20_000 })
    await shot(page, 'desktop-analysis')
    await context.close()
  }, 120_000)
})

describe.skipIf(!executablePath)('channels and campaigns admin', () => {
  it('marketing adds a channel and a campaign with budget, UTM and a month of actual cost (phone zh, desktop en)', async () => {
    const { context, page } = await openAs('sunyue', '/admin', 'phone')
    await page.getByTestId('admin-link-admin-lead-channels').click()
    await page.getByTestId('admin-lead-channels').waitFor({ timeout: 20_000 })
    await page.getByTestId('channel-row').filter({ hasText: '展会' }).waitFor({ timeout: 20_000 })

    // A name is required: the bot's answer shows at the field, nothing is written.
    await page.getByTestId('add-channel').click()
    await page.locator('.van-dialog__confirm:visible').click()
    await page.locator('.van-dialog:visible .van-field__error-message').first().waitFor({ timeout: 20_000 })
    await page.locator('input[name="channel-name"]').fill('抖音直播')
    await page.locator('input[name="slaMinutes"]').fill('45')
    await page.locator('.van-dialog__confirm:visible').click()
    await page.getByTestId('channel-row').filter({ hasText: '抖音直播' }).waitFor({ timeout: 20_000 })

    await page.getByTestId('add-campaign').click()
    await page.locator('input[name="campaign-name"]').fill('双十二直播')
    await page.locator('input[name="budget"]').fill('50000')
    await page.locator('input[name="utmCampaign"]').fill('d12-live')
    await page.locator('input[name="month"]').fill('2026-11')
    await page.locator('input[name="amount"]').fill('12345.6')
    await page.locator('.van-dialog__confirm:visible').click()
    const row = page.getByTestId('campaign-row').filter({ hasText: '双十二直播' })
    await row.waitFor({ timeout: 20_000 })
    expect(await row.getByTestId('campaign-cost').textContent()).toContain('12,345.6')
    await shot(page, 'phone-admin-channels')
    await context.close()

    const channel = ((await api('sunyue', 'GET', '/crm/channels')).items as Json[]).find(
      (c) => c.name === '抖音直播',
    )
    expect(channel.slaMinutes).toBe(45)
    const [campaign] = (await api('sunyue', 'GET', `/crm/campaigns?channelId=${channel.id}`)).items as Json[]
    expect(campaign).toMatchObject({ name: '双十二直播', budgetCents: 5_000_000, utmCampaign: 'd12-live' })
    expect(campaign.costs).toEqual([{ month: '2026-11', amountCents: 1_234_560 }])

    const desk = await openAs('sunyue', '/admin/lead-channels', 'desktop', 'en')
    await desk.page.getByTestId('channel-row').filter({ hasText: '抖音直播' }).click()
    await desk.page.getByTestId('campaign-row').filter({ hasText: '双十二直播' }).waitFor({ timeout: 20_000 })
    await expectNoHorizontalOverflow(desk.page)
    await shot(desk.page, 'desktop-admin-channels-en')
    await desk.context.close()
  }, 120_000)

  it('is refused to a rep: no entry in the console and the API answers 403', async () => {
    await expect(api('liuyang', 'POST', '/crm/channels', { name: '私自渠道' })).rejects.toThrow(/403/)
  })
})
