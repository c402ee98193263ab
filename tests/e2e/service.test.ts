import { execSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mountStatic } from '../../bot/entry/static'
import { parseEnv } from '../../bot/env'
import type { Database } from '../../db/client'
import { seedDevchatChats } from '../../db/seed/devchat'
import type { SeededOrg } from '../../db/seed/org'
import { chromiumPath, launchBrowser, OUTPUT_DIR } from '../helpers/browser'
import { createTestTenant, openTestDatabase } from '../helpers/db'
import { sessionHeader } from '../helpers/session'
import { type Stack, startStack } from '../helpers/stack'

const executablePath = chromiumPath()
const distIndex = resolve(process.cwd(), 'miniapp/dist/index.html')

let database: Database
let stack: Stack
let browser: Browser
let server: Server | null = null
let url = ''
let tenantKey: string
let org: SeededOrg

async function api(userKey: string, method: string, path: string, body?: unknown) {
  const res = await stack.app.request(`/api/v1${path}`, {
    method,
    headers: {
      ...(await sessionHeader(org.tenantId, org.users[userKey] ?? '')),
      'content-type': 'application/json',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${await res.text()}`)
  return res.json()
}

async function openAs(as: string, path: string, viewport: { width: number; height: number }) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1, locale: 'zh-CN' })
  const page = await context.newPage()
  const res = await fetch(`${url}/devchat/api/login-code`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tenant: tenantKey, as }),
  })
  const { code } = (await res.json()) as { code: string }
  const sep = path.includes('?') ? '&' : '?'
  await page.goto(`${url}/app${path}${sep}devchat_code=${encodeURIComponent(code)}`)
  return { context, page }
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: resolve(OUTPUT_DIR, `service-${name}.png`), fullPage: true })

beforeAll(async () => {
  if (!executablePath) return
  if (!existsSync(distIndex))
    execSync('npx vite build', { cwd: resolve(process.cwd(), 'miniapp'), stdio: 'inherit' })
  database = await openTestDatabase()
  tenantKey = `e2e-service-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
  org = await createTestTenant(database, { tenantKey })
  await seedDevchatChats(database.db, org)
  stack = await startStack(database, { tenantId: org.tenantId, tenantKey })
  const outer = new Hono<{ Variables: object }>()
  mountStatic(outer, parseEnv({ LOG_LEVEL: 'silent' }))
  outer.all('*', (c) => stack.app.fetch(c.req.raw))
  server = await new Promise<Server>((done) => {
    const s = serve({ fetch: outer.fetch, port: 0, hostname: '127.0.0.1' }, () => done(s as Server))
  })
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  browser = await launchBrowser(executablePath)
}, 180_000)

afterAll(async () => {
  await browser?.close()
  if (server) {
    server.closeAllConnections()
    await new Promise<void>((done) => server?.close(() => done()))
  }
  await stack?.close()
  await database?.close()
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
    await page.getByTestId('ticket-note').locator('textarea').fill('更换轴承，试机正常')
    await page.getByTestId('ticket-resolve').click()
    await expect.poll(() => page.locator('.service-ticket-page__tags').textContent()).toContain('已解决')
    expect(await page.getByTestId('ticket-timeline').textContent()).toContain('更换轴承，试机正常')
    await shot(page, 'agent-detail-phone')
    const detail = await api('liuyang', 'GET', `/service/tickets/${made.id}`)
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
    const code = await api('wangjianguo', 'POST', '/service/codes', {
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
