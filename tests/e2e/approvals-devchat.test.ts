import { resolve } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '../../db/client'
import { seedApprovalTemplates } from '../../db/seed/approvals'
import { seedDevchatChats } from '../../db/seed/devchat'
import { chromiumPath, launchBrowser, OUTPUT_DIR } from '../helpers/browser'
import { dayFromNow } from '../helpers/dates'
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
  tenantKey = `e2e-appr-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
  const org = await createTestTenant(database, { tenantKey })
  await seedDevchatChats(database.db, org)
  await database.db.transaction((tx) => seedApprovalTemplates(tx, org))
  stack = await startStack(database, { tenantId: org.tenantId, tenantKey })
  browser = await launchBrowser(executablePath)
})
afterAll(async () => {
  await browser?.close()
  await stack?.close()
  await database?.close()
})

describe.skipIf(!executablePath)('a leave request in devchat', () => {
  it('is approved by two people while the applicant’s progress card updates live', async () => {
    const open = async (as: string) => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
      await page.goto(`${stack.url}/devchat/?tenant=${tenantKey}&as=${as}`)
      await page.locator('body[data-live="true"]').waitFor({ timeout: 20_000 })
      return page
    }
    const applicant = await open('liuyang')
    await applicant.getByTestId('composer').fill('发起 请假')
    await applicant.getByTestId('send').click()
    const form = applicant.getByTestId('card-form').last()
    await form.waitFor({ timeout: 20_000 })
    await form.getByTestId('form-kind').selectOption('annual')
    await form.getByTestId('form-dates__start').fill(dayFromNow(7))
    await form.getByTestId('form-dates__end').fill(dayFromNow(11))
    await form.getByTestId('form-reason').fill('回家探亲')
    await form.getByTestId('card-button').filter({ hasText: '提交' }).click()
    const progress = applicant.getByTestId('card').filter({ hasText: '我的请假申请' }).last()
    await expect.poll(() => progress.count(), { timeout: 20_000 }).toBe(1)
    await expect.poll(() => progress.textContent(), { timeout: 20_000 }).toContain('审批中')

    for (const approver of ['zhangwei', 'liming']) {
      const page = await open(approver)
      const card = page.getByTestId('card').filter({ hasText: '刘洋的请假申请' }).last()
      await expect.poll(() => card.count(), { timeout: 20_000 }).toBe(1)
      await card.getByTestId('card-button').filter({ hasText: '同意' }).click()
      await expect.poll(() => card.textContent(), { timeout: 20_000 }).toContain('已同意')
      if (approver === 'zhangwei')
        await page.screenshot({ path: resolve(OUTPUT_DIR, 'approvals-approver.png') })
      await page.close()
      if (approver === 'zhangwei') {
        // The applicant's page follows without a reload: 张伟 approved, 李明 (over 3 days) is next.
        await expect.poll(() => progress.textContent(), { timeout: 20_000 }).toContain('张伟 ✓')
      }
    }
    await expect.poll(() => progress.textContent(), { timeout: 20_000 }).toContain('已通过')
    await applicant.screenshot({ path: resolve(OUTPUT_DIR, 'approvals-progress.png') })
    await applicant.close()
  })
})
