import { resolve } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedApprovalTemplates } from '../../db/seed/approvals'
import { seedNotices } from '../../db/seed/notices'
import { chromiumPath, OUTPUT_DIR } from '../helpers/browser'
import { dayFromNow, localDateTimeFromNow, rangeFromNow } from '../helpers/dates'
import { type MiniappWorld, openAs as openWorldAs, startMiniappWorld } from '../helpers/miniapp-world'

const executablePath = chromiumPath()
/** The customer's geo point (Shanghai, Lujiazui) and the rep's position ~120 m away. */
const CUSTOMER_POINT = { lat: 31.2397, lng: 121.4998 }
const REP_POSITION = { latitude: 31.2405, longitude: 121.5007, accuracy: 15 }
const PHONE = { width: 390, height: 844 }

let world: MiniappWorld
let customerId = ''
let approvalId = ''

const api = <T>(userKey: string, method: string, path: string, body?: unknown) =>
  world.api<T>(userKey, method, path, body)

/** A phone-sized browser context signed in through devchat as `as`, opened at `path`. */
const openAs = (as: string, path: string, options: { geolocation?: boolean; desktop?: boolean } = {}) =>
  openWorldAs(world, as, path, {
    viewport: options.desktop ? { width: 1280, height: 800 } : PHONE,
    deviceScaleFactor: options.desktop ? 1 : 2,
    isMobile: !options.desktop,
    hasTouch: !options.desktop,
    ...(options.geolocation ? { geolocation: REP_POSITION, permissions: ['geolocation'] } : {}),
  })

const shot = (page: Page, name: string) =>
  page.screenshot({ path: resolve(OUTPUT_DIR, `miniapp-${name}.png`) })

beforeAll(async () => {
  if (!executablePath) return
  world = await startMiniappWorld({
    executablePath,
    prefix: 'app',
    seed: async (database, org) => {
      await seedApprovalTemplates(database.db, org)
      await seedNotices(database.db, org)
    },
  })

  const customer = await api<{ id: string }>('liuyang', 'POST', '/crm/customers', {
    name: '华东精密机械有限公司',
    shortName: '华东精密',
    industry: '制造业',
    tier: 'A',
    tags: ['重点'],
    address: '上海市浦东新区世纪大道 100 号',
    lat: CUSTOMER_POINT.lat,
    lng: CUSTOMER_POINT.lng,
  })
  customerId = customer.id
  await api('liuyang', 'POST', `/crm/customers/${customerId}/follow-ups`, {
    kind: 'call',
    content: '电话沟通了二期产线的改造需求，客户希望下周上门演示。',
  })
  const north = await api<{ id: string }>('liuyang', 'POST', '/crm/customers', {
    name: '北方重工集团',
    tier: 'B',
  })
  await api('liuyang', 'POST', `/crm/customers/${customerId}/relations`, {
    toCustomerId: north.id,
    kind: 'supplier',
  })
  // A manager puts a customer straight into the pool for reps to claim.
  await api('zhangwei', 'POST', '/crm/customers', { name: '江南纺织有限公司', tier: 'C', ownerId: null })
  const started = await api<{ id: string }>('liuyang', 'POST', '/approvals/instances', {
    templateKey: 'leave',
    form: { kind: 'annual', dates: rangeFromNow(18, 2), reason: '回老家办事' },
  })
  approvalId = started.id
}, 180_000)

afterAll(async () => {
  await world?.close()
})

describe.skipIf(!executablePath)('the mini-app in a real browser', () => {
  let rep: { context: BrowserContext; page: Page }

  beforeAll(async () => {
    if (!executablePath) return
    rep = await openAs('liuyang', '/', { geolocation: true })
  })

  it('signs a rep in through devchat and shows home', async () => {
    const { page } = rep
    // Home opens while the login code is still being exchanged; the name comes with the session.
    await page.locator('.home-page__greeting').waitFor({ timeout: 20_000 })
    await expect
      .poll(() => page.locator('.home-page__greeting').textContent(), { timeout: 20_000 })
      .toContain('刘洋')
    await page.locator('.home-page .todo-section').first().waitFor({ timeout: 20_000 })
    await shot(page, 'home')
  })

  it('finds a customer by pinyin initials and opens the card', async () => {
    const { page } = rep
    await page.goto(`${world.url}/app/customers`)
    await page.locator('input[type="search"]').fill('hdjm')
    const hit = page.getByTestId('customer-name').filter({ hasText: '华东精密机械有限公司' })
    // The debounced search narrows the list to the one customer whose initials start with hdjm.
    await expect
      .poll(() => page.getByTestId('customer-name').allTextContents(), { timeout: 20_000 })
      .toEqual(['华东精密机械有限公司'])
    await shot(page, 'customers-search')
    await hit.click()
    await page.getByTestId('customer-title').waitFor()
    expect(await page.getByTestId('customer-title').textContent()).toBe('华东精密机械有限公司')
    await shot(page, 'customer-card')
    await page.getByRole('tab', { name: '跟进' }).click()
    await expect.poll(() => page.getByRole('tabpanel', { name: '跟进' }).textContent()).toContain('二期产线')
    // Quick entry: type, content, next follow-up time.
    await page.getByRole('button', { name: '写跟进' }).first().click()
    const sheet = page.getByTestId('follow-up-form')
    await sheet.waitFor()
    await sheet.locator('.van-radio', { hasText: '拜访' }).click()
    await sheet.locator('textarea[name="content"]').fill('上门演示了新款数控机床，客户很感兴趣。')
    await sheet.locator('input[name="nextFollowUpAt"]').fill(localDateTimeFromNow(7, 10))
    await shot(page, 'follow-up-entry')
    await sheet.getByRole('button', { name: '保存' }).click()
    await expect
      .poll(() => page.getByRole('tabpanel', { name: '跟进' }).textContent(), { timeout: 20_000 })
      .toContain('上门演示了新款数控机床')
    await shot(page, 'customer-followups')
    await page.getByRole('tab', { name: '关系' }).click()
    await page.getByTestId('relation-graph').waitFor()
    expect(await page.getByTestId('relation-graph').textContent()).toContain('北方重工集团')
    await shot(page, 'customer-relations')
  })

  it('claims a customer from the pool', async () => {
    const { page } = rep
    await page.goto(`${world.url}/app/customers?scope=pool`)
    const row = page.getByTestId('customer-name').filter({ hasText: '江南纺织有限公司' })
    await row.waitFor({ timeout: 20_000 })
    await row.click()
    await page.getByRole('button', { name: '领取' }).click()
    await expect
      .poll(() => page.locator('.customer-page__meta').textContent(), { timeout: 20_000 })
      .toContain('刘洋')
    await page.getByRole('button', { name: '退回公海' }).waitFor()
    await shot(page, 'customer-claimed')
  })

  it('checks in with the browser’s location and shows the distance the API computed', async () => {
    const { page } = rep
    await page.goto(`${world.url}/app/customers/${customerId}/visit`)
    await page.getByTestId('coords').waitFor({ timeout: 20_000 })
    expect(await page.getByTestId('coords').textContent()).toContain('31.24050')
    await page.getByTestId('check-in').click()
    await page.getByTestId('visit').waitFor({ timeout: 20_000 })
    await expect.poll(() => page.getByTestId('visit').textContent()).toMatch(/距客户 1\d\d 米/)
    await shot(page, 'visit-checked-in')
    const card = await api<{ visits: Array<{ status: string; checkInDistanceM: number | null }> }>(
      'liuyang',
      'GET',
      `/crm/customers/${customerId}/card`,
    )
    expect(card.visits).toHaveLength(1)
    expect(card.visits[0]?.status).toBe('checked_in')
    // Check out with a summary, so the next check-in starts a new visit.
    await page.locator('textarea').fill('演示顺利，客户同意试用。')
    await page.getByRole('button', { name: '签退' }).click()
    await page.getByTestId('check-in').waitFor()
  })

  it('queues a check-in made offline, shows it pending, and syncs it when the network returns', async () => {
    const { page, context } = rep
    await context.setOffline(true)
    let clickedAt = 0
    const pending = page.getByTestId('pending-check-ins')
    try {
      await expect.poll(() => page.evaluate(() => navigator.onLine)).toBe(false)
      clickedAt = Date.now()
      await page.getByTestId('check-in').click()
      await pending.waitFor({ timeout: 20_000 })
      expect(await page.getByTestId('pending-state').getAttribute('data-state')).toBe('pending')
      expect(await pending.textContent()).toContain('离线中，联网后自动提交')
      await shot(page, 'visit-offline-pending')

      // Nothing reached the bot while offline.
      const before = await api<{ visits: unknown[] }>('liuyang', 'GET', `/crm/customers/${customerId}/card`)
      expect(before.visits).toHaveLength(1)
      await new Promise((r) => setTimeout(r, 1500))
    } finally {
      // Back online whatever happened, so a failure here does not fail every test after it.
      await context.setOffline(false)
    }
    await pending.waitFor({ state: 'detached', timeout: 15_000 })
    const after = await api<{
      visits: Array<{ status: string; checkInAt: string; clientKey: string | null }>
    }>('liuyang', 'GET', `/crm/customers/${customerId}/card`)
    expect(after.visits).toHaveLength(2)
    const synced = after.visits.find((v) => v.status === 'checked_in')
    expect(synced?.clientKey).toMatch(/^ck_/)
    // It kept the time of the tap, not the time it was sent.
    const at = new Date(synced?.checkInAt ?? 0).getTime()
    expect(Math.abs(at - clickedAt)).toBeLessThan(1200)
    // The page picks the synced visit up by itself: checked in, with the distance the bot computed.
    await page.getByRole('button', { name: '签退', exact: true }).waitFor({ timeout: 20_000 })
    await expect.poll(() => page.getByTestId('visit').textContent()).toMatch(/距客户 1\d\d 米/)
    await shot(page, 'visit-synced')
  })

  it('lists approvals and notices for the rep', async () => {
    const { page } = rep
    await page.goto(`${world.url}/app/approvals?box=mine`)
    await page.getByTestId('approval-title').first().waitFor({ timeout: 20_000 })
    await shot(page, 'approvals-mine')
    await page.goto(`${world.url}/app/approvals/new/expense`)
    const form = page.getByTestId('approval-form')
    await form.waitFor({ timeout: 20_000 })
    // Submitting empty shows the messages next to the fields, rendered from the template's schema.
    await page.getByRole('button', { name: '提交' }).click()
    await expect.poll(() => form.textContent()).toContain('请填写报销金额')
    await shot(page, 'approval-start-errors')
    await form.locator('.van-radio', { hasText: '差旅' }).click()
    await form.locator('[data-field="amount"] input').fill('1,280.50')
    await form.locator('[data-field="date"] input').fill(dayFromNow(-3))
    await form.locator('[data-field="description"] textarea').fill('上海客户拜访往返高铁')
    await shot(page, 'approval-start-form')
    await page.getByRole('button', { name: '提交' }).click()
    await page.getByTestId('approval-status').waitFor({ timeout: 20_000 })
    expect(await page.locator('.approval-page__field', { hasText: '报销金额' }).textContent()).toContain(
      '¥1,280.50',
    )
    await shot(page, 'approval-submitted')
    await page.goto(`${world.url}/app/notices`)
    await page.locator('.notices-page__title').first().waitFor({ timeout: 20_000 })
    await shot(page, 'notices')
    await page.locator('.notices-page__title', { hasText: '春节放假' }).click()
    await page.getByTestId('notice-title').waitFor()
    await page.getByRole('button', { name: '我已阅读并确认' }).click()
    await page.getByTestId('acked').waitFor({ timeout: 20_000 })
    await shot(page, 'notice-acknowledged')
  })

  it('starts a leave request, naming the cover from the org directory', async () => {
    const { page } = rep
    await page.goto(`${world.url}/app/approvals/new/leave`)
    const form = page.getByTestId('approval-form')
    await form.waitFor({ timeout: 20_000 })
    await form.locator('.van-radio', { hasText: '年假' }).click()
    await form.locator('input[name="dates.start"]').fill(dayFromNow(4))
    await form.locator('input[name="dates.end"]').fill(dayFromNow(5))
    await form.locator('[data-field="reason"] textarea').fill('回老家办事')
    // The user field searches the org directory (GET /api/v1/org/people) as the rep types.
    await form.locator('[data-field="handover"] input').fill('张')
    await form.locator('[data-field="handover"] .ref-field__option', { hasText: '张伟' }).click()
    expect(await form.locator('[data-field="handover"] input').inputValue()).toBe('张伟')
    await shot(page, 'approval-start-people')
    await page.getByRole('button', { name: '提交' }).click()
    await page.getByTestId('approval-status').waitFor({ timeout: 20_000 })
    const id = new URL(page.url()).pathname.split('/').pop() ?? ''
    const started = await api<{ form: Record<string, unknown> }>(
      'liuyang',
      'GET',
      `/approvals/instances/${id}`,
    )
    expect(started.form.handover).toBe(world.org.users.zhangwei)
  })

  it('lets the manager approve the request', async () => {
    const manager = await openAs('zhangwei', `/approvals/${approvalId}`)
    const { page } = manager
    await page.locator('.approve-button').waitFor({ timeout: 20_000 })
    await shot(page, 'approval-detail')
    await page.locator('.approve-button').click()
    await page.locator('textarea[name="comment"]').fill('同意，注意交接。')
    await page.locator('.action-sheet__submit').click()
    await expect
      .poll(() => page.getByTestId('approval-status').getAttribute('data-status'), { timeout: 20_000 })
      .toBe('approved')
    await expect
      .poll(() => page.locator('.approval-page__timeline').textContent(), { timeout: 20_000 })
      .toContain('同意，注意交接。')
    await page.locator('.van-toast').waitFor({ state: 'hidden', timeout: 5_000 })
    await shot(page, 'approval-approved')
    const ins = await api<{ status: string }>('liuyang', 'GET', `/approvals/instances/${approvalId}`)
    expect(ins.status).toBe('approved')
    await manager.context.close()
  })

  it('lets a publisher write a notice and watch who has read it', async () => {
    const hr = await openAs('hefang', '/notices/new')
    const { page } = hr
    const title = page.locator('input[name="title"]')
    await title.waitFor({ timeout: 20_000 })
    await page.getByRole('button', { name: '立即发布' }).click()
    await expect.poll(() => page.locator('.notice-create').textContent()).toContain('请填写标题')
    await title.fill('十二月安全生产检查')
    await page
      .locator('textarea[name="body"]')
      .fill('各部门请于 **12 月 5 日** 前完成自查：\n\n- 消防通道\n- 用电安全')
    await page.locator('.van-radio', { hasText: '行政' }).click()
    await shot(page, 'notice-create')
    await page.getByRole('button', { name: '立即发布' }).click()
    await page.getByTestId('notice-totals').waitFor({ timeout: 20_000 })
    // Recipients are resolved by a job after publishing; the dashboard shows them once it has run.
    await expect
      .poll(
        async () => {
          await page.reload()
          await page.getByTestId('notice-totals').waitFor()
          return Number(await page.locator('.notice-dashboard__total dd').first().textContent())
        },
        { timeout: 15_000 },
      )
      .toBeGreaterThan(0)
    await shot(page, 'notice-dashboard')
    await hr.context.close()
  })

  it('lays the same pages out for a desktop client (≥ 960 px)', async () => {
    const desk = await openAs('zhangwei', `/approvals/${approvalId}`, { desktop: true })
    const { page } = desk
    await page.locator('.side-nav').waitFor({ timeout: 20_000 })
    await page.getByTestId('approval-status').waitFor({ timeout: 20_000 })
    await page.screenshot({ path: resolve(OUTPUT_DIR, 'miniapp-desktop-approval.png') })
    await page.goto(`${world.url}/app/customers/${customerId}`)
    await page.getByTestId('customer-title').waitFor({ timeout: 20_000 })
    await page.screenshot({ path: resolve(OUTPUT_DIR, 'miniapp-desktop-customer.png') })
    await desk.context.close()
  })
})
