import { resolve } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SeededOrg } from '../../db/seed/org'
import { chromiumPath, OUTPUT_DIR } from '../helpers/browser'
import { type MiniappWorld, openAs as openWorldAs, startMiniappWorld } from '../helpers/miniapp-world'

const executablePath = chromiumPath()

let world: MiniappWorld
let browser: Browser
let url = ''
let org: SeededOrg

const api = <T = { id: string }>(userKey: string, method: string, path: string, body?: unknown) =>
  world.api<T>(userKey, method, path, body)

const openAs = (as: string, path: string, viewport: { width: number; height: number }) =>
  openWorldAs(world, as, path, { viewport, deviceScaleFactor: 1 })

const shot = (page: Page, name: string) =>
  page.screenshot({ path: resolve(OUTPUT_DIR, `service-${name}.png`), fullPage: true })

beforeAll(async () => {
  if (!executablePath) return
  world = await startMiniappWorld({ executablePath, prefix: 'service' })
  ;({ browser, url, org } = world)
}, 180_000)

afterAll(async () => {
  await world?.close()
})

describe.skipIf(!executablePath)('service tickets in a real browser', () => {
  it('the engineer finds the dispatched ticket on a phone, accepts and resolves it; the timeline shows it', async () => {
    const made = await api('wangjianguo', 'POST', '/service/tickets', {
      subject: '空压机异响',
      type: '故障',
      priority: 'high',
      ownerId: org.users.liuyang,
    })
    const { page, context } = await openAs('liuyang', '/service', { width: 390, height: 844 })
    const list = page.getByTestId('service-list')
    await list.waitFor({ timeout: 20_000 })
    await expect.poll(() => list.textContent()).toContain('空压机异响')
    await shot(page, 'agent-list-phone')
    await list.getByText('空压机异响').click()
    await page.getByTestId('ticket-title').waitFor({ timeout: 20_000 })
    await page.getByTestId('ticket-accept').click()
    await expect.poll(() => page.locator('.service-ticket-page__tags').textContent()).toContain('处理中')
    // 调整优先级: high → urgent re-plans the deadlines and the timeline says so.
    const before = await api<{ ticket: { resolutionDueAt: string } }>(
      'liuyang',
      'GET',
      `/service/tickets/${made.id}`,
    )
    await page.getByTestId('ticket-priority-urgent').click()
    await expect.poll(() => page.locator('.service-ticket-page__tags').textContent()).toContain('紧急')
    const after = await api<{ ticket: { resolutionDueAt: string } }>(
      'liuyang',
      'GET',
      `/service/tickets/${made.id}`,
    )
    expect(Date.parse(after.ticket.resolutionDueAt)).toBeLessThan(Date.parse(before.ticket.resolutionDueAt))
    await page.getByTestId('ticket-note').locator('textarea').fill('更换轴承，试机正常')
    await page.getByTestId('ticket-resolve').click()
    await expect.poll(() => page.locator('.service-ticket-page__tags').textContent()).toContain('已解决')
    expect(await page.getByTestId('ticket-timeline').textContent()).toContain('更换轴承，试机正常')
    await shot(page, 'agent-detail-phone')
    const detail = await api<{ ticket: { status: string } }>('liuyang', 'GET', `/service/tickets/${made.id}`)
    expect(detail.ticket.status).toBe('resolved')
    await context.close()
  })

  it('a new ticket from the desktop lands on its page', async () => {
    const { page, context } = await openAs('wangjianguo', '/service/new', { width: 1280, height: 800 })
    await page.getByTestId('new-subject').locator('input').fill('门禁读卡器无响应', { timeout: 20_000 })
    await page.getByTestId('new-submit').click()
    await page.getByTestId('ticket-title').waitFor({ timeout: 20_000 })
    expect(await page.getByTestId('ticket-title').textContent()).toMatch(/GD-\d{4}-\d{4} 门禁读卡器无响应/)
    await shot(page, 'agent-new-desktop')
    await context.close()
  })

  it('the customer scans a device code, reports with the form and follows the status link', async () => {
    const customer = await api('liuyang', 'POST', '/crm/customers', { name: '扫码浏览器客户有限公司' })
    const code = await api<{ code: string }>('wangjianguo', 'POST', '/service/codes', {
      label: '3号注塑机',
      customerId: customer.id,
      deviceLabel: 'SN-E2E-3',
    })
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' })
    const page = await context.newPage()
    await page.goto(`${url}/s/${code.code}`)
    expect(await page.textContent('body')).toContain('SN-E2E-3')
    await page.fill('input[name=name]', '赵师傅')
    await page.fill('input[name=phone]', '13700001234')
    await page.fill('input[name=subject]', '注塑机温度报警')
    await shot(page, 'customer-form-phone')
    await page.click('button[type=submit]')
    await page.waitForURL(/\/s\/t\//, { timeout: 20_000 })
    const text = (await page.textContent('body')) ?? ''
    expect(text).toMatch(/工单 GD-\d{4}-\d{4}/)
    expect(text).toContain('注塑机温度报警')
    expect(text).not.toContain('扫码浏览器客户有限公司')
    await shot(page, 'customer-status-phone')
    await context.close()
  })
})
