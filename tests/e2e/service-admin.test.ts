import { resolve } from 'node:path'
import type { Page } from 'playwright-core'
import QRCode from 'qrcode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedApprovalTemplates } from '../../db/seed/approvals'
import type { SeededOrg } from '../../db/seed/org'
import { chromiumPath, OUTPUT_DIR } from '../helpers/browser'
import { type MiniappWorld, openAs as openWorldAs, startMiniappWorld } from '../helpers/miniapp-world'

// The admin console's service settings and the approval form's detail rows, in a
// real browser at phone and desktop sizes, with screenshots.

const executablePath = chromiumPath()
let world: MiniappWorld
let url = ''
let org: SeededOrg

const api = <T = { id: string }>(userKey: string, method: string, path: string, body?: unknown) =>
  world.api<T>(userKey, method, path, body)
const openAs = (as: string, path: string, viewport: { width: number; height: number }, lang?: string) =>
  openWorldAs(world, as, path, { viewport, deviceScaleFactor: 1 }, lang)
const shot = (page: Page, name: string) =>
  page.screenshot({ path: resolve(OUTPUT_DIR, `service-admin-${name}.png`), fullPage: true })
const PHONE = { width: 390, height: 844 }
const DESKTOP = { width: 1280, height: 800 }

beforeAll(async () => {
  if (!executablePath) return
  world = await startMiniappWorld({
    executablePath,
    prefix: 'svcadmin',
    seed: (database, seeded) => seedApprovalTemplates(database.db, seeded),
  })
  ;({ url, org } = world)
}, 180_000)

afterAll(async () => {
  await world?.close()
})

interface Settings {
  types: string[]
  sla: Record<string, { responseMinutes: number; resolutionMinutes: number }>
  workingHours: { days: number[]; start: string; end: string } | null
}

describe.skipIf(!executablePath)('service settings in the admin console', () => {
  it('an admin changes types, SLA and hours on a phone; a bad calendar is refused in place', async () => {
    const { page, context } = await openAs('wangjianguo', '/admin', PHONE)
    await page.getByTestId('admin-link-admin-service').click()
    const form = page.getByTestId('service-settings')
    await form.waitFor({ timeout: 20_000 })
    await form.locator('input[name="types"]').fill('咨询, 故障, 安装, 维修, 投诉, 保养')
    await form.locator('input[name="sla.urgent.response"]').fill('0.25')
    await form.locator('input[name="sla.urgent.resolution"]').fill('2')
    await form.locator('input[name="day6"]').uncheck()
    // End before start: the bot names the field and nothing is saved.
    await form.locator('input[name="start"]').fill('18:00')
    await form.locator('input[name="end"]').fill('09:00')
    await page.getByTestId('service-save').click()
    // The bot names workingHours.end: the message shows under the working hours, nothing else moves.
    await expect
      .poll(() => form.locator('.admin-svc__error').textContent(), { timeout: 20_000 })
      .toContain('填写的内容有误')
    expect((await api<Settings>('wangjianguo', 'GET', '/service/settings')).types).not.toContain('保养')
    await form.locator('input[name="start"]').fill('08:30')
    await form.locator('input[name="end"]').fill('17:30')
    await page.getByTestId('service-save').click()
    await expect
      .poll(async () => (await api<Settings>('wangjianguo', 'GET', '/service/settings')).types, {
        timeout: 10_000,
      })
      .toContain('保养')
    const saved = await api<Settings>('wangjianguo', 'GET', '/service/settings')
    expect(saved.sla.urgent).toEqual({ responseMinutes: 15, resolutionMinutes: 120 })
    expect(saved.workingHours).toEqual({ days: [1, 2, 3, 4, 5], start: '08:30', end: '17:30' })
    await shot(page, 'settings-phone')
    await context.close()
  })

  it('adds a dispatch rule and a device QR code, and prints labels whose QR encodes the public link (desktop)', async () => {
    await api('liuyang', 'POST', '/crm/customers', { name: '二维码设备客户有限公司' })
    const { page, context } = await openAs('wangjianguo', '/admin/service', DESKTOP)
    const rules = page.getByTestId('service-rules')
    await rules.waitFor({ timeout: 20_000 })
    const ruleForm = page.getByTestId('service-rule-form')
    await ruleForm.locator('input[name="ruleName"]').fill('故障单轮流派')
    await ruleForm.locator('label', { hasText: '故障' }).locator('input').check()
    await ruleForm.locator('.people-picker input').fill('刘洋')
    await page.locator('.van-cell', { hasText: '刘洋' }).last().click()
    await page.getByTestId('service-rule-add').click()
    await expect.poll(() => page.getByTestId('service-rule').count(), { timeout: 20_000 }).toBe(1)
    expect(await page.getByTestId('service-rule').textContent()).toContain('刘洋')
    const listed = await api<{
      items: Array<{ name: string; match: { types?: string[] }; members: Array<{ userId: string }> }>
    }>('wangjianguo', 'GET', '/service/rules')
    expect(listed.items[0]).toMatchObject({
      name: '故障单轮流派',
      match: { types: ['故障'] },
      members: [{ userId: org.users.liuyang, name: '刘洋' }],
    })

    const codeForm = page.getByTestId('service-code-form')
    await codeForm.locator('input[name="codeLabel"]').fill('5号空压机')
    await codeForm.locator('.ref-field input').fill('二维码设备')
    await page.locator('.van-cell', { hasText: '二维码设备客户有限公司' }).last().click()
    await codeForm.locator('input[name="codeDevice"]').fill('SN-QR-5')
    await page.getByTestId('service-code-add').click()
    await expect.poll(() => page.getByTestId('service-code').count(), { timeout: 20_000 }).toBe(2)
    await shot(page, 'settings-desktop')

    const codes = await api<{
      items: Array<{ id: string; code: string; path: string; deviceLabel: string | null }>
    }>('wangjianguo', 'GET', '/service/codes')
    const device = codes.items.find((c) => c.deviceLabel === 'SN-QR-5')
    if (!device) throw new Error('device code not created')
    await page.getByTestId(`service-print-${device.id}`).click()
    const label = page.getByTestId('service-qr-label')
    await label.first().waitFor({ timeout: 20_000 })
    expect(await label.count()).toBe(1)
    expect(await label.textContent()).toContain('SN-QR-5')
    // The QR drawn on the page is the one for the code's public link (same encoder, same options).
    const link = new URL(device.path, url).toString()
    const expected = await QRCode.toString(link, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 })
    const drawn = await label.locator('svg').evaluate((svg) => svg.outerHTML)
    const pathOf = (svg: string) => /<path[^>]*stroke="#000000"[^>]*d="([^"]+)"/.exec(svg)?.[1]
    expect(pathOf(drawn)).toBeTruthy()
    expect(pathOf(drawn)).toBe(pathOf(expected))
    await shot(page, 'qr-desktop')
    // The link works: the customer's page for the device opens.
    const res = await fetch(link)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('SN-QR-5')
    await context.close()
  })

  it('a non-admin gets no service section and the settings API answers 403 with the permission', async () => {
    const { page, context } = await openAs('liuyang', '/admin/service', PHONE)
    await expect
      .poll(() => page.textContent('body'), { timeout: 20_000 })
      .toMatch(/service\.manage|无权|权限/)
    await context.close()
  })
})

describe.skipIf(!executablePath)('上门 from a ticket', () => {
  it('the engineer taps 上门 on the phone and lands on the visit check-in of that customer', async () => {
    const customer = await api('liuyang', 'POST', '/crm/customers', { name: '上门浏览器客户有限公司' })
    const made = await api('wangjianguo', 'POST', '/service/tickets', {
      subject: '设备漏油',
      type: '维修',
      customerId: customer.id,
      ownerId: org.users.liuyang,
    })
    const { page, context } = await openAs('liuyang', `/service/${made.id}`, PHONE)
    await page.getByTestId('ticket-on-site').click({ timeout: 20_000 })
    await page.waitForURL(new RegExp(`/customers/${customer.id}/visit\\?visit=vis_`), { timeout: 20_000 })
    const detail = await api<{ ticket: { visitId: string | null } }>(
      'liuyang',
      'GET',
      `/service/tickets/${made.id}`,
    )
    expect(page.url()).toContain(detail.ticket.visitId ?? 'missing')
    await shot(page, 'on-site-visit-phone')
    await context.close()
  })
})

describe.skipIf(!executablePath)('detail rows in the approval form', () => {
  it('fills 报销 with detail rows: a wrong sum is shown before sending, the right one is submitted (phone)', async () => {
    const { page, context } = await openAs('liuyang', '/approvals/new/expense', PHONE)
    const form = page.getByTestId('approval-form')
    await form.waitFor({ timeout: 20_000 })
    await form.locator('[data-field="category"] .van-radio').first().click()
    await form.locator('[data-field="amount"] input').fill('1250')
    await form.locator('[data-field="date"] input').fill('2026-11-02')
    await form.locator('[data-field="description"] textarea').fill('北京出差')
    await page.getByTestId('table-add').click()
    await form.locator('input[name="items.0.item"]').fill('高铁')
    await form.locator('input[name="items.0.amount"]').fill('553')
    await page.getByTestId('table-add').click()
    await form.locator('input[name="items.1.item"]').fill('酒店')
    await form.locator('input[name="items.1.amount"]').fill('600')
    await form.locator('button[type="submit"]').click()
    await expect.poll(() => form.locator('.table-field').textContent()).toContain('不符')
    await shot(page, 'expense-rows-wrong-phone')
    await form.locator('input[name="items.1.amount"]').fill('697')
    expect(await page.getByTestId('table-total').textContent()).toContain('1,250.00')
    await form.locator('button[type="submit"]').click()
    await page.waitForURL(/\/approvals\/ins_|\/approvals\/[a-z]+_/, { timeout: 20_000 })
    const id = new URL(page.url()).pathname.split('/').pop() ?? ''
    const ins = await api<{ form: { items: unknown } }>('liuyang', 'GET', `/approvals/instances/${id}`)
    expect(ins.form.items).toEqual([
      { item: '高铁', amount: 55_300 },
      { item: '酒店', amount: 69_700 },
    ])
    await shot(page, 'expense-rows-submitted-phone')
    await context.close()
  })
})
