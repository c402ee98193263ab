import { resolve } from 'node:path'
import { sql } from 'drizzle-orm'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../bot/lib/logger'
import type { Database } from '../../db/client'
import { seedDevchatChats } from '../../db/seed/devchat'
import { OutboxRelay } from '../../jobs/outbox'
import { chromiumPath, launchBrowser, OUTPUT_DIR } from '../helpers/browser'
import { createTestTenant, openTestDatabase } from '../helpers/db'
import { type Stack, startStack } from '../helpers/stack'

const executablePath = chromiumPath()
let database: Database
let stack: Stack
let browser: Browser
let tenantKey: string

beforeAll(async () => {
  if (!executablePath) return
  database = await openTestDatabase()
  tenantKey = `e2e-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
  const org = await createTestTenant(database, { tenantKey })
  await seedDevchatChats(database.db, org)
  stack = await startStack(database, { tenantId: org.tenantId, tenantKey })
  browser = await launchBrowser(executablePath)
})
afterAll(async () => {
  await browser?.close()
  await stack?.close()
  await database?.close()
})

describe.skipIf(!executablePath)('devchat in a real browser', () => {
  it('sends help, shows the reply card, and changes the card when a button is tapped', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    await page.goto(`${stack.url}/devchat/?tenant=${tenantKey}&as=liuyang`)
    await page.locator('body[data-live="true"]').waitFor({ timeout: 20_000 })
    await page.getByTestId('composer').fill('帮助')
    await page.getByTestId('send').click()
    const title = page.getByTestId('card-title').last()
    await expect.poll(() => title.textContent(), { timeout: 20_000 }).toBe('flowcard 助手')
    await page.screenshot({ path: resolve(OUTPUT_DIR, 'devchat-help.png') })
    await page.getByTestId('card-button').filter({ hasText: 'English' }).click()
    await expect.poll(() => title.textContent(), { timeout: 20_000 }).toBe('flowcard assistant')
    await expect.poll(() => page.getByTestId('toast').textContent()).toBe('Switched to English')
    await page.getByTestId('card-button').filter({ hasText: 'Who am I' }).click()
    await expect.poll(() => title.textContent(), { timeout: 20_000 }).toBe('Hello, Yang Liu')
    await page.screenshot({ path: resolve(OUTPUT_DIR, 'devchat-whoami.png') })
    await page.close()
  })

  it('shows another person’s tap live in a shared group', async () => {
    const a = await browser.newPage()
    const b = await browser.newPage()
    await a.goto(`${stack.url}/devchat/?tenant=${tenantKey}&as=zhangwei&chat=grp:sales`)
    await b.goto(`${stack.url}/devchat/?tenant=${tenantKey}&as=chenjing&chat=grp:sales`)
    await a.locator('body[data-live="true"]').waitFor()
    await b.locator('body[data-live="true"]').waitFor()
    await a.getByTestId('composer').fill('@flowcard 帮助')
    await a.getByTestId('send').click()
    await expect
      .poll(() => b.getByTestId('card-title').last().textContent(), { timeout: 20_000 })
      .toBe('flowcard 助手')
    await a.getByTestId('card-button').filter({ hasText: '我是谁' }).last().click()
    await expect
      .poll(() => a.getByTestId('card-title').last().textContent(), { timeout: 20_000 })
      .toBe('你好，张伟')
    // The other member's page follows without a reload (SSE from PostgreSQL NOTIFY).
    await expect
      .poll(() => b.getByTestId('card-title').last().textContent(), { timeout: 20_000 })
      .toBe('你好，张伟')
    await a.close()
    await b.close()
  })

  it('新公司 opens a company on its first day, as its founder, where 发起 请假 works with no setup', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    await page.goto(`${stack.url}/devchat/?tenant=${tenantKey}&as=liuyang`)
    await page.locator('body[data-live="true"]').waitFor({ timeout: 20_000 })
    await page.getByTestId('fresh-company').click()
    await page.waitForURL(/tenant=fresh-/, { timeout: 20_000 })
    await page.locator('body[data-live="true"]').waitFor({ timeout: 20_000 })
    const key = new URL(page.url()).searchParams.get('tenant') ?? ''
    expect(await page.getByTestId('tenant').inputValue()).toBe(key)
    expect(await page.getByTestId('as').inputValue()).toBe('chenlei')
    // The stack relays its own tenant's outbox only (tests share the database): relay the new one too.
    const [fresh] = await database.rows<{ id: string }>(
      sql`select id from tenants where platform = 'devchat' and platform_tenant_key = ${key}`,
    )
    const relay = new OutboxRelay(database, stack.queue, {
      logger: createLogger('silent'),
      tenantId: fresh?.id ?? '',
      tenantKey: key,
      pollMs: 200,
    })
    await relay.start()
    try {
      await page.getByTestId('composer').fill('发起 请假')
      await page.getByTestId('send').click()
      await page.getByTestId('card-form').last().waitFor({ timeout: 20_000 })
      await page.screenshot({ path: resolve(OUTPUT_DIR, 'devchat-fresh-company.png') })
    } finally {
      await relay.stop()
    }
    // The company switcher goes back to the first one.
    await page.getByTestId('tenant').selectOption(tenantKey)
    await page.waitForURL(new RegExp(`tenant=${tenantKey}`), { timeout: 20_000 })
    await page.close()
  })
})
