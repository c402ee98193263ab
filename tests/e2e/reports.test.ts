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
  page.screenshot({ path: resolve(OUTPUT_DIR, `reports-${name}.png`) })

beforeAll(async () => {
  if (!executablePath) return
  if (!existsSync(distIndex))
    execSync('npx vite build', { cwd: resolve(process.cwd(), 'miniapp'), stdio: 'inherit' })
  database = await openTestDatabase()
  tenantKey = `e2e-reports-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
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
  // This month's new customers: two of the rep's in Shanghai and Jiangsu, one of a colleague's in Beijing.
  await api('liuyang', 'POST', '/crm/customers', {
    name: '上海报表精工有限公司',
    tier: 'A',
    provinceCode: '310000',
    industry: '制造',
  })
  await api('liuyang', 'POST', '/crm/customers', {
    name: '江苏报表电子有限公司',
    tier: 'B',
    provinceCode: '320000',
    industry: '电子',
  })
  const beijing = (await api('huangli', 'POST', '/crm/customers', {
    name: '北京报表科技有限公司',
    tier: 'A',
    provinceCode: '110000',
    industry: '软件',
  })) as { id: string }
  // One open deal this month, so the funnel has a stage to show.
  await api('huangli', 'POST', '/crm/opportunities', {
    name: '北京报表科技 年度采购',
    customerId: beijing.id,
    amountCents: 12_000_000,
  })
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

describe.skipIf(!executablePath)('the reports tab in a real browser', () => {
  it('shows new customers by owner with a chart, and drills a figure down to its customers', async () => {
    const { page, context } = await openAs('wangjianguo', '/reports?r=customers-new&d=owner', {
      width: 390,
      height: 844,
    })
    const table = page.getByTestId('report-table')
    await table.waitFor({ timeout: 20_000 })
    await expect.poll(() => table.textContent()).toContain('刘洋')
    expect(await table.locator('tfoot').textContent()).toContain('3')
    await page.locator('.report-chart canvas').first().waitFor({ timeout: 20_000 })
    await shot(page, 'customers-new-phone')
    await table.locator('tbody tr', { hasText: '刘洋' }).click()
    const records = page.getByTestId('report-records')
    await records.waitFor({ timeout: 10_000 })
    await expect.poll(() => records.textContent()).toContain('上海报表精工有限公司')
    expect(await records.textContent()).not.toContain('北京报表科技有限公司')
    await shot(page, 'drill-phone')
    await context.close()
  })

  it('shows the sales funnel step by step at phone and desktop sizes', async () => {
    for (const [name, viewport] of [
      ['phone', { width: 390, height: 844 }],
      ['desktop', { width: 1280, height: 800 }],
    ] as const) {
      const { page, context } = await openAs('wangjianguo', '/reports?r=funnel', viewport)
      const table = page.getByTestId('report-table')
      await table.waitFor({ timeout: 20_000 })
      await expect.poll(() => table.textContent()).toContain('初步接洽')
      const steps = await table.locator('tbody tr td:first-child').allTextContents()
      expect(steps.map((x) => x.trim()).slice(0, 3)).toEqual(['线索', '转为客户', '初步接洽'])
      expect(await table.locator('tbody tr', { hasText: '初步接洽' }).textContent()).toContain('120,000')
      await page.locator('.report-chart canvas').first().waitFor({ timeout: 20_000 })
      await shot(page, `funnel-${name}`)
      await context.close()
    }
  })

  it('shows a rep only their own figures', async () => {
    const { page, context } = await openAs('liuyang', '/reports?r=customers-new&d=owner', {
      width: 390,
      height: 844,
    })
    const table = page.getByTestId('report-table')
    await table.waitFor({ timeout: 20_000 })
    await expect.poll(() => table.locator('tbody').textContent()).toContain('刘洋')
    expect(await table.locator('tbody').textContent()).not.toContain('黄丽')
    await context.close()
  })

  it('colours the map of China by customers and drills a province down to its cities', async () => {
    const { page, context } = await openAs('wangjianguo', '/reports?r=customer-map', {
      width: 1280,
      height: 800,
    })
    const table = page.getByTestId('report-table')
    await table.waitFor({ timeout: 20_000 })
    await expect.poll(() => table.textContent()).toContain('上海')
    await page.locator('.report-chart canvas').first().waitFor({ timeout: 20_000 })
    await shot(page, 'map-desktop')
    await table.locator('tbody tr', { hasText: '上海' }).click()
    await expect
      .poll(() => page.getByTestId('report-table').locator('thead').textContent(), { timeout: 10_000 })
      .toContain('城市')
    await shot(page, 'map-city-desktop')
    await context.close()
  })
})
