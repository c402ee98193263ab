import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '../../db/client'
import { seedApprovalTemplates } from '../../db/seed/approvals'
import { seedFreshCompany } from '../../db/seed/fresh'
import type { SeededOrg } from '../../db/seed/org'
import { chromiumPath, launchBrowser, OUTPUT_DIR } from '../helpers/browser'
import { createTestTenant, openTestDatabase } from '../helpers/db'
import { ensureMiniappBuilt, openMiniappAs, serveMiniapp } from '../helpers/miniapp-server'
import { sessionHeader } from '../helpers/session'
import { type Stack, startStack } from '../helpers/stack'

// The admin console at phone and desktop sizes, in Chinese and English, on the demo
// company and on a company on its first day.

const executablePath = chromiumPath()
let database: Database
let stack: Stack
let browser: Browser
let web: { url: string; close(): Promise<void> }
let tenantKey: string
let org: SeededOrg
let fresh: SeededOrg & { tenantKey: string }

async function api<T>(tenantId: string, userId: string, method: string, path: string, body?: unknown) {
  const res = await stack.app.request(`/api/v1${path}`, {
    method,
    headers: { ...(await sessionHeader(tenantId, userId)), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: res.status, body: (await res.json()) as T }
}
const demo = <T>(user: string, method: string, path: string, body?: unknown) =>
  api<T>(org.tenantId, org.users[user] ?? '', method, path, body)

const shot = (page: Page, name: string) => page.screenshot({ path: resolve(OUTPUT_DIR, `admin-${name}.png`) })
const open = (
  as: string,
  path: string,
  opts: { desktop?: boolean; lang?: 'zh-CN' | 'en'; tenant?: string } = {},
) => openMiniappAs(browser, web.url, { tenant: opts.tenant ?? tenantKey, as, path, ...opts })

beforeAll(async () => {
  if (!executablePath) return
  ensureMiniappBuilt()
  database = await openTestDatabase()
  tenantKey = `e2e-admin-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
  org = await createTestTenant(database, { tenantKey })
  await seedApprovalTemplates(database.db, org)
  fresh = await seedFreshCompany(database.db, { bootstrapAdmins: ['chenlei@fresh.example'] })
  stack = await startStack(database, { tenantId: org.tenantId, tenantKey })
  web = await serveMiniapp(stack)
  browser = await launchBrowser(executablePath)
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await web?.close()
  await stack?.close()
  await database?.close()
})

describe.skipIf(!executablePath)('admin console', () => {
  it('opens from 我的 for an admin, lists the synced people and departments (phone, zh)', async () => {
    const { context, page } = await open('wangjianguo', '/me')
    await page.locator('[data-testid="me-admin"]').click()
    await page.locator('[data-testid="admin-hub"]').waitFor()
    for (const section of ['admin-people', 'admin-roles', 'admin-templates', 'admin-crm', 'admin-audit'])
      expect(await page.locator(`[data-testid="admin-link-${section}"]`).count()).toBe(1)
    await shot(page, 'phone-zh-hub')
    await page.locator('[data-testid="admin-link-admin-people"]').click()
    await expect
      .poll(() => page.locator('[data-testid="person-row"]').count(), { timeout: 20_000 })
      .toBeGreaterThan(15)
    expect(await page.locator('[data-testid="admin-people"]').textContent()).toContain('共 20 人')
    await page.locator('[data-testid="people-search"] input').fill('王建国')
    await expect.poll(() => page.locator('[data-testid="person-row"]').count()).toBe(1)
    expect(await page.locator('[data-testid="person-row"]').textContent()).toContain('系统管理员')
    await shot(page, 'phone-zh-people')
    await page.locator('.van-tab', { hasText: '部门' }).click()
    await expect.poll(() => page.locator('[data-testid="department-row"]').count()).toBe(7)
    expect(await page.locator('[data-testid="department-row"]').first().textContent()).toContain(
      '负责人：王建国',
    )
    await shot(page, 'phone-zh-departments')
    await context.close()
  })

  it('revokes a role, refuses to remove the last admin with the reason, and grants it back (phone, zh)', async () => {
    const { body: roles } = await demo<{ items: Array<{ id: string; key: string }> }>(
      'wangjianguo',
      'GET',
      '/admin/roles',
    )
    const adminRole = roles.items.find((r) => r.key === 'admin')
    if (!adminRole) throw new Error('no admin role')
    const { context, page } = await open('wangjianguo', `/admin/roles/${adminRole.id}`)
    await page.locator('[data-testid="member-row"]').first().waitFor({ timeout: 20_000 })
    expect(await page.locator('[data-testid="admin-role"]').textContent()).toContain('手动授予')

    // 何芳 goes; then 王建国 is the last admin and removing him is refused with the bot's reason.
    await page.locator(`[data-testid="revoke-${org.users.hefang}"]`).click()
    await page.locator('.van-dialog__confirm').click()
    await expect.poll(() => page.locator('[data-testid="member-row"]').count()).toBe(1)
    await page.locator(`[data-testid="revoke-${org.users.wangjianguo}"]`).click()
    await page.locator('.van-dialog__confirm').click()
    await expect
      .poll(() => page.locator('.van-dialog__message').textContent(), { timeout: 20_000 })
      .toContain('组织将没有管理员')
    await shot(page, 'phone-zh-last-admin')
    await page.locator('.van-dialog__confirm').click()
    expect(await page.locator('[data-testid="member-row"]').count()).toBe(1)

    await page.locator('[data-testid="add-members"]').click()
    await page.locator('[data-testid="grant-people"] input').fill('何芳')
    await page.locator('.van-cell', { hasText: '何芳' }).last().click()
    await page.locator('[data-testid="grant-submit"]').click()
    await expect.poll(() => page.locator('[data-testid="member-row"]').count(), { timeout: 20_000 }).toBe(2)
    await shot(page, 'phone-zh-role')
    await context.close()
  })

  it('filters the audit log and exports it as CSV (phone, zh)', async () => {
    const { context, page } = await open('wangjianguo', '/admin/audit')
    await expect
      .poll(() => page.locator('[data-testid="audit-row"]').count(), { timeout: 20_000 })
      .toBeGreaterThan(0)
    await page.locator('[data-testid="audit-kind"]').selectOption('org.')
    await expect
      .poll(() => page.locator('[data-testid="audit-row"]').first().textContent())
      .toContain('授予角色')
    const rows = await page.locator('[data-testid="audit-row"]').allTextContents()
    expect(rows.some((r) => r.includes('移除角色'))).toBe(true)
    await shot(page, 'phone-zh-audit')
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('[data-testid="audit-export"]').click(),
    ])
    const csv = readFileSync((await download.path()) ?? '', 'utf8')
    expect(csv).toContain('org.role.revoke')
    expect(csv).not.toContain('approval.template')
    await context.close()
  })

  it('disables and enables a template, and saves CRM rules (phone, zh)', async () => {
    const { context, page } = await open('wangjianguo', '/admin/templates')
    await page.locator('[data-testid="template-row-purchase"]').waitFor({ timeout: 20_000 })
    await page.locator('[data-testid="template-active-purchase"]').click()
    await expect
      .poll(() => page.locator('[data-testid="template-row-purchase"]').textContent())
      .toContain('已停用')
    const { body: active } = await demo<{ items: Array<{ key: string }> }>(
      'liuyang',
      'GET',
      '/approvals/templates',
    )
    expect(active.items.map((t) => t.key)).not.toContain('purchase')
    await shot(page, 'phone-zh-templates')
    await page.locator('[data-testid="template-active-purchase"]').click()
    await expect
      .poll(() => page.locator('[data-testid="template-row-purchase"]').textContent())
      .not.toContain('已停用')

    await page.goto(`${web.url}/app/admin/crm`)
    const limit = page.locator('input[name="claimLimit"]')
    await expect.poll(() => limit.inputValue(), { timeout: 20_000 }).toBe('50')
    await limit.fill('35')
    await page.locator('[data-testid="save-crm"]').click()
    await expect
      .poll(
        async () => (await demo<{ claimLimit: number }>('wangjianguo', 'GET', '/crm/rules')).body.claimLimit,
      )
      .toBe(35)
    await shot(page, 'phone-zh-crm')
    await context.close()
  })

  it('uses the wide layout on desktop with the console in the side navigation (desktop, en)', async () => {
    const { context, page } = await open('wangjianguo', '/', { desktop: true, lang: 'en' })
    await page.locator('.side-nav a', { hasText: 'Admin' }).click()
    await page.locator('[data-testid="admin-hub"]').waitFor()
    expect(await page.locator('[data-testid="admin-hub"]').textContent()).toContain('Roles and permissions')
    await shot(page, 'desktop-en-hub')
    await page.locator('[data-testid="admin-link-admin-people"]').click()
    await expect
      .poll(() => page.locator('[data-testid="people-table"] tbody tr').count(), { timeout: 20_000 })
      .toBeGreaterThan(15)
    expect(await page.locator('[data-testid="people-table"] thead').textContent()).toContain('Department')
    await shot(page, 'desktop-en-people')
    await page.goto(`${web.url}/app/admin/audit`)
    await expect
      .poll(() => page.locator('[data-testid="audit-table"] tbody tr').count(), { timeout: 20_000 })
      .toBeGreaterThan(0)
    expect(await page.locator('[data-testid="audit-table"]').textContent()).toContain('Granted a role')
    await shot(page, 'desktop-en-audit')
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    expect(overflow).toBeLessThanOrEqual(0)
    await context.close()
  })

  it('shows nothing of the console to someone without an admin permission', async () => {
    const { context, page } = await open('liuyang', '/me')
    await page.locator('.me-page').waitFor()
    expect(await page.locator('[data-testid="me-admin"]').count()).toBe(0)
    await page.goto(`${web.url}/app/admin`)
    await page.locator('[data-testid="admin-hub"]').waitFor()
    expect(await page.locator('[data-testid="admin-hub"]').textContent()).toContain('你没有任何管理权限')
    expect((await demo('liuyang', 'GET', '/admin/people')).status).toBe(403)
    await context.close()
  })

  it('greets a company on its first day and explains what is set up (phone zh, desktop en)', async () => {
    const { context, page } = await open('chenlei', '/admin', { tenant: fresh.tenantKey })
    await page.locator('[data-testid="admin-first-day"]').waitFor({ timeout: 20_000 })
    expect(await page.locator('[data-testid="sync-status"]').textContent()).toContain('尚未同步')
    await shot(page, 'phone-zh-first-day')
    // Its audit log starts with the system making the FLOWCARD_ADMINS person an admin; no export yet.
    await page.locator('[data-testid="admin-link-admin-audit"]').click()
    await expect
      .poll(() => page.locator('[data-testid="audit-row"]').first().textContent(), { timeout: 20_000 })
      .toContain('系统')
    await page.locator('[data-testid="audit-kind"]').selectOption('report.export')
    await page.locator('[data-testid="audit-empty"]').waitFor({ timeout: 20_000 })
    await shot(page, 'phone-zh-first-day-audit')
    await context.close()

    const desk = await open('chenlei', '/admin/templates', {
      tenant: fresh.tenantKey,
      desktop: true,
      lang: 'en',
    })
    await expect
      .poll(() => desk.page.locator('[data-testid^="template-row-"]').count(), { timeout: 20_000 })
      .toBe(9)
    const listed = await desk.page.locator('[data-testid="admin-templates"]').textContent()
    expect(listed).toContain('Leave')
    // 回款审批 is started only by registering a payment, but its admin sets up its finance step here.
    expect(listed).toContain('回款')
    await shot(desk.page, 'desktop-en-first-day-templates')
    await desk.context.close()
  })

  it('designs a template with an amount condition, is told which node finds no approver, then publishes (phone, zh)', async () => {
    expect((await demo('wangjianguo', 'POST', '/admin/roles', { key: 'cfo', name: '财务总监' })).status).toBe(
      201,
    )
    const { context, page } = await open('wangjianguo', '/admin/templates')
    await page.locator('[data-testid="template-new"]').click()
    await page.locator('[data-testid="template-designer"]').waitFor()
    await page.locator('input[name="key"]').fill('travelpay')
    await page.locator('input[name="name"]').fill('差旅付款')
    await page.locator('input[name="nameEn"]').fill('Travel payment')
    await page.locator('[data-testid="add-field"]').click()
    const amount = page.locator('[data-testid="designer-field"]').nth(1)
    await amount.locator('[data-testid="field-label"]').fill('金额')
    await amount.locator('[data-testid="field-key"]').fill('amount')
    await amount.locator('[data-testid="field-type"]').selectOption('money')

    // manager → approval (财务总监, a role nobody holds yet) → end; then a condition after the manager whose
    // branch "over ¥5,000" goes to it and whose default goes to the end.
    await page.locator('[data-testid="node-manager"] button', { hasText: '添加审批节点' }).click()
    const cfo = page.locator('[data-testid="node-approval"]')
    await cfo.locator('[data-testid="node-name"]').fill('财务总监')
    await cfo.locator('[data-testid="node-kind"]').selectOption('role')
    await cfo.locator('[data-testid="node-role"]').selectOption('cfo')
    await page.locator('[data-testid="add-condition-manager"]').click()
    const cond = page.locator('[data-testid="node-condition"]')
    await cond.locator('[data-testid="node-name"]').fill('金额判断')
    await cond.locator('[data-testid="cond-field"]').selectOption('amount')
    await cond.locator('[data-testid="cond-value"]').fill('5000')
    await cond.locator('[data-testid="branch"] input').first().fill('超过5000')
    await cond.locator('[data-testid="default-next"]').selectOption('end')
    await page.locator('[data-testid="designer-publish"]').click()
    await expect
      .poll(() => page.locator('[data-testid="designer-error"]').textContent(), { timeout: 20_000 })
      .toContain('审批节点「财务总监」（条件「金额判断」的分支「超过5000」）找不到审批人')
    expect(await cfo.getAttribute('class')).toContain('admin-tpl__card--error')
    await shot(page, 'phone-zh-designer-refused')

    await cfo.locator('[data-testid="node-role"]').selectOption('finance')
    await page.locator('[data-testid="designer-publish"]').click()
    await page.waitForURL(/\/admin\/templates\/travelpay$/, { timeout: 20_000 })
    const { body: tpl } = await demo<{ version: number; flow: { nodes: Array<Record<string, unknown>> } }>(
      'liuyang',
      'GET',
      '/approvals/templates/travelpay',
    )
    expect(tpl.version).toBe(1)
    const condition = tpl.flow.nodes.find((n) => n.type === 'condition') as {
      branches: Array<{ when: Array<{ value: number }>; next: string }>
      defaultNext: string
    }
    expect(condition.branches[0]).toMatchObject({ when: [{ value: 500_000 }], next: 'approval' })
    expect(condition.defaultNext).toBe('end')
    await shot(page, 'phone-zh-designer-published')
    await context.close()

    // The same template at desktop size in English, opened for a new version.
    const desk = await open('wangjianguo', '/admin/templates/travelpay', { desktop: true, lang: 'en' })
    await expect
      .poll(() => desk.page.locator('[data-testid="template-designer"]').textContent(), { timeout: 20_000 })
      .toContain('Version 1')
    await shot(desk.page, 'desktop-en-designer')
    await desk.context.close()
  }, 90_000)

  it('previews a template as the chat card and as the mini-app form (phone zh, desktop en)', async () => {
    // The API behind the card preview: admins only, checked as a publish would be, nothing saved.
    const { body: purchase } = await demo<Record<string, unknown>>(
      'wangjianguo',
      'GET',
      '/approvals/templates/purchase',
    )
    const draft = {
      key: 'purchase',
      name: '采购',
      form: purchase.form,
      flow: purchase.flow,
      settings: purchase.settings,
    }
    expect((await demo('liuyang', 'POST', '/approvals/templates/preview', draft)).status).toBe(403)
    const bad = await demo<{ error: { field?: string } }>(
      'wangjianguo',
      'POST',
      '/approvals/templates/preview',
      {
        ...draft,
        key: '',
      },
    )
    expect(bad.status).toBe(400)
    expect(bad.body.error.field).toBe('key')

    const { context, page } = await open('wangjianguo', '/admin/templates/purchase')
    await page.locator('[data-testid="template-designer"]').waitFor()
    await expect.poll(() => page.locator('input[name="name"]').inputValue(), { timeout: 20_000 }).toBe('采购')
    await page.locator('[data-testid="preview-card"]').click()
    const card = page.locator('[data-testid="chat-card-preview"]')
    await card.waitFor({ timeout: 20_000 })
    expect(await card.textContent()).toContain('发起采购')
    expect(await card.locator('[data-testid="chat-card-input"]').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('预计金额')]),
    )
    await card.scrollIntoViewIfNeeded()
    await shot(page, 'phone-zh-designer-preview-card')
    await page.locator('[data-testid="preview-form"]').click()
    const form = page.locator('[data-testid="form-preview"]')
    await form.waitFor()
    for (const label of ['采购物品', '预计金额', '供应商', '期望到货'])
      expect(await form.textContent()).toContain(label)
    await form.scrollIntoViewIfNeeded()
    await shot(page, 'phone-zh-designer-preview-form')
    // A change in the designer shows in the next preview without saving.
    await page.locator('input[name="name"]').fill('办公采购')
    await page.locator('[data-testid="preview-card"]').click()
    await expect.poll(() => card.textContent(), { timeout: 20_000 }).toContain('发起办公采购')
    await context.close()
    const { body: stored } = await demo<{ name: string }>(
      'wangjianguo',
      'GET',
      '/approvals/templates/purchase',
    )
    expect(stored.name).toBe('采购')

    const desk = await open('wangjianguo', '/admin/templates/purchase', { desktop: true, lang: 'en' })
    await desk.page.locator('[data-testid="template-designer"]').waitFor()
    await expect
      .poll(() => desk.page.locator('[data-testid="template-designer"]').textContent(), { timeout: 20_000 })
      .toContain('Version')
    await desk.page.locator('[data-testid="preview-card"]').click()
    const deskCard = desk.page.locator('[data-testid="chat-card-preview"]')
    await expect.poll(() => deskCard.textContent(), { timeout: 20_000 }).toContain('Submit')
    await deskCard.scrollIntoViewIfNeeded()
    await shot(desk.page, 'desktop-en-designer-preview-card')
    await desk.page.locator('[data-testid="preview-form"]').click()
    const deskForm = desk.page.locator('[data-testid="form-preview"]')
    await expect.poll(() => deskForm.textContent(), { timeout: 20_000 }).toContain('Vendor')
    await deskForm.scrollIntoViewIfNeeded()
    await shot(desk.page, 'desktop-en-designer-preview-form')
    await desk.context.close()
  }, 90_000)
})
