import { resolve } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '../../db/client'
import type { SeededOrg } from '../../db/seed/org'
import { chromiumPath, OUTPUT_DIR } from '../helpers/browser'
import { dayFromNow } from '../helpers/dates'
import { type MiniappWorld, openAs as openWorldAs, startMiniappWorld } from '../helpers/miniapp-world'
import { waitFor } from '../helpers/wait'
import { pendingTaskOf } from '../integration/approvals-harness'

// The sales pages under /deals: the list (phone list, desktop board), a deal's stage change and close, a
// contract's approval state and 回款, and registering a payment, at phone and desktop sizes.

const executablePath = chromiumPath()
const PHONE = { width: 390, height: 844 }
const DESKTOP = { width: 1280, height: 800 }

let world: MiniappWorld
let database: Database
let url = ''
let org: SeededOrg

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

const shot = (page: Page, name: string) => page.screenshot({ path: resolve(OUTPUT_DIR, `deals-${name}.png`) })

async function expectNoHorizontalOverflow(page: Page): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  expect(overflow, 'page scrolls sideways').toBeLessThanOrEqual(0)
}

let customerId = ''
let stages: Array<{ id: string; name: string; kind: string }> = []

beforeAll(async () => {
  if (!executablePath) return
  world = await startMiniappWorld({ executablePath, prefix: 'deals' })
  ;({ database, url, org } = world)

  customerId = (await api('liuyang', 'POST', '/crm/customers', { name: '华为技术有限公司', tier: 'A' })).id
  const sets = (await api('liuyang', 'GET', '/crm/stage-sets')).items
  stages = sets.find((s: Json) => s.isDefault).stages
}, 120_000)

afterAll(async () => {
  await world?.close()
})

const openStage = (i: number) => {
  const s = stages.filter((x) => x.kind === 'open')[i]
  if (!s) throw new Error(`no open stage ${i}`)
  return s
}

describe.skipIf(!executablePath)('deal pages', () => {
  it('lists my deals on a phone, moves one to the next stage and marks another lost with a reason', async () => {
    const deal = await api('liuyang', 'POST', '/crm/opportunities', {
      name: '华为 OA 升级',
      customerId,
      items: [{ name: '流程卡 专业版', quantity: 3, unitPriceCents: 2_000_000 }],
      expectedCloseDate: dayFromNow(30),
      competitors: ['泛微'],
    })
    const doomed = await api('liuyang', 'POST', '/crm/opportunities', {
      name: '华为 考勤',
      customerId,
      amountCents: 800_000,
    })
    await api('zhangwei', 'POST', '/crm/opportunities', { name: '经理的商机', customerId, amountCents: 100 })

    const { context, page } = await openAs('liuyang', '/deals', 'phone')
    await page.getByTestId('deal-row').first().waitFor({ timeout: 20_000 })
    const names = await page.locator('.deal-row__name').allTextContents()
    expect(names).toContain('华为 OA 升级')
    expect(names).not.toContain('经理的商机')
    await shot(page, 'phone-list')

    await page.getByText('华为 OA 升级').click()
    await page.getByTestId('deal-title').waitFor({ timeout: 20_000 })
    expect(await page.getByTestId('deal-items').textContent()).toContain('流程卡 专业版')
    expect(await page.getByTestId('deal-fields').textContent()).toContain('¥60,000.00')
    const next = openStage(1)
    await page.getByTestId('deal-change-stage').click()
    await page.locator('.van-action-sheet__item', { hasText: next.name }).click()
    await waitFor(
      async () =>
        (await api('liuyang', 'GET', `/crm/opportunities/${deal.id}`)).opportunity.stage.id === next.id,
      'the stage change',
      10_000,
    )
    await page.getByTestId('deal-stage-history').getByText(next.name).waitFor({ timeout: 20_000 })
    await expectNoHorizontalOverflow(page)
    await shot(page, 'phone-detail')

    await page.goto(`${url}/app/deals/${doomed.id}`)
    await page.getByTestId('deal-lost').click()
    // No reason picked: the form says so and closes nothing.
    await page.getByTestId('deal-close-submit').click()
    await page.getByText('请选择输单原因').waitFor({ timeout: 5_000 })
    expect((await api('liuyang', 'GET', `/crm/opportunities/${doomed.id}`)).opportunity.status).toBe('open')
    await page.locator('.deal-close__reason', { hasText: '价格过高' }).click()
    await page.getByTestId('deal-close-submit').click()
    await expect
      .poll(() => page.getByTestId('deal-status').getAttribute('data-status'), { timeout: 20_000 })
      .toBe('lost')
    const closed = (await api('liuyang', 'GET', `/crm/opportunities/${doomed.id}`)).opportunity
    expect(closed.closeReason.name).toBe('价格过高')
    await shot(page, 'phone-lost')
    await context.close()
  })

  it('shows the team board by stage on a desktop, and the table view', async () => {
    await api('zhangwei', 'POST', '/crm/opportunities', {
      name: '团队看板商机',
      customerId,
      amountCents: 4_200_000,
      stageId: openStage(2).id,
    })
    const { context, page } = await openAs('zhangwei', '/deals?scope=team', 'desktop', 'en')
    await page.getByTestId('deals-board').waitFor({ timeout: 20_000 })
    const column = page.locator('.deals-board__column', { hasText: '团队看板商机' })
    expect(await column.getAttribute('data-stage')).toBe(openStage(2).name)
    expect(await column.textContent()).toContain('¥42,000.00')
    await expectNoHorizontalOverflow(page)
    await shot(page, 'desktop-board')
    await page.getByTestId('deals-view-table').click()
    await page.getByTestId('deals-table').waitFor({ timeout: 20_000 })
    expect(await page.getByTestId('deals-table').textContent()).toContain('团队看板商机')
    await context.close()
  })
})

describe.skipIf(!executablePath)('contract and 回款 pages', () => {
  it('shows an approved contract with its plan, registers a payment and the outstanding amount drops', async () => {
    const won = await api('liuyang', 'POST', '/crm/opportunities', {
      name: '华为 合同商机',
      customerId,
      amountCents: 9_000_000,
    })
    await api('liuyang', 'POST', `/crm/opportunities/${won.id}/close`, { outcome: 'won' })
    const contract = await api('liuyang', 'POST', '/crm/contracts', {
      name: '华为 OA 合同',
      opportunityId: won.id,
    })
    await api('liuyang', 'PUT', `/crm/contracts/${contract.id}/instalments`, {
      instalments: [
        { dueDate: dayFromNow(-10), amountCents: 3_000_000 },
        { dueDate: dayFromNow(20), amountCents: 6_000_000 },
      ],
    })
    const submitted = await api('liuyang', 'POST', `/crm/contracts/${contract.id}/submit`, {})

    // In approval: the page says so and links the approval; no 登记回款 yet.
    const phone = await openAs('liuyang', `/deals/contracts/${contract.id}`, 'phone')
    await phone.page.getByTestId('contract-title').waitFor({ timeout: 20_000 })
    expect(await phone.page.getByTestId('contract-status').getAttribute('data-status')).toBe('in_approval')
    expect(await phone.page.getByTestId('contract-approval').count()).toBe(1)
    expect(await phone.page.getByTestId('contract-register-payment').count()).toBe(0)

    const task = await pendingTaskOf(database, org, submitted.approval.id, 'zhangwei')
    await api('zhangwei', 'POST', `/approvals/tasks/${task.id}/approve`, { version: task.version })
    await waitFor(
      async () => (await api('liuyang', 'GET', `/crm/contracts/${contract.id}`)).contract.status === 'active',
      'the contract to become active',
      15_000,
    )
    await phone.page.reload()
    await expect
      .poll(() => phone.page.getByTestId('contract-status').getAttribute('data-status'), { timeout: 20_000 })
      .toBe('active')
    expect(
      await phone.page
        .locator('[data-testid="contract-instalments"] [data-status]')
        .first()
        .getAttribute('data-status'),
    ).toBe('overdue')
    expect(await phone.page.getByTestId('contract-outstanding').textContent()).toContain('90,000.00')
    await shot(phone.page, 'phone-contract')

    await phone.page.getByTestId('contract-register-payment').click()
    await phone.page.getByTestId('payment-form').waitFor({ timeout: 20_000 })
    // The form starts from the overdue instalment's open amount.
    expect(await phone.page.locator('input[name="amount"]').inputValue()).toBe('30000.00')
    // More than is outstanding: refused, named at the field, nothing recorded.
    await phone.page.locator('input[name="amount"]').fill('100000')
    await phone.page.getByTestId('payment-submit').click()
    await phone.page.locator('.van-field__error-message').first().waitFor({ timeout: 20_000 })
    expect((await api('liuyang', 'GET', `/crm/contracts/${contract.id}/receivables`)).receivedCents).toBe(0)
    await shot(phone.page, 'phone-payment-error')

    await phone.page.locator('input[name="amount"]').fill('30000')
    await phone.page.locator('select[name="method"]').selectOption('alipay')
    await phone.page.getByTestId('payment-submit').click()
    await phone.page.getByTestId('contract-title').waitFor({ timeout: 20_000 })
    await expect
      .poll(() => phone.page.getByTestId('contract-outstanding').textContent(), { timeout: 20_000 })
      .toContain('60,000.00')
    expect(await phone.page.getByTestId('contract-payments').textContent()).toContain('支付宝')
    const after = await api('liuyang', 'GET', `/crm/contracts/${contract.id}/receivables`)
    expect(after.receivedCents).toBe(3_000_000)
    expect(after.label).toBe('1/2 期')
    await expectNoHorizontalOverflow(phone.page)
    await shot(phone.page, 'phone-contract-paid')
    await phone.context.close()

    const desk = await openAs('liuyang', `/deals/contracts/${contract.id}`, 'desktop', 'en')
    await desk.page.getByTestId('contract-payments').waitFor({ timeout: 20_000 })
    expect(await desk.page.getByTestId('contract-payments').textContent()).toContain('Alipay')
    await expectNoHorizontalOverflow(desk.page)
    await shot(desk.page, 'desktop-contract')
    // The deal links to its contract.
    await desk.page.goto(`${url}/app/deals/${won.id}`)
    await desk.page.getByText(`${contract.number} 华为 OA 合同`).waitFor({ timeout: 20_000 })
    await desk.context.close()
  })

  it('with 回款审批 on, a registered payment shows as in approval on the contract until finance approves it', async () => {
    const rules = await api('wangjianguo', 'GET', '/crm/rules')
    await api('wangjianguo', 'PUT', '/crm/rules', { ...rules, paymentApproval: true })
    const contract = await api('liuyang', 'POST', '/crm/contracts', {
      name: '华为 回款审批 合同',
      customerId,
      amountCents: 5_000_000,
    })
    await api('liuyang', 'PUT', `/crm/contracts/${contract.id}/instalments`, {
      instalments: [{ dueDate: dayFromNow(30), amountCents: 5_000_000 }],
    })
    const submitted = await api('liuyang', 'POST', `/crm/contracts/${contract.id}/submit`, {})
    const task = await pendingTaskOf(database, org, submitted.approval.id, 'zhangwei')
    await api('zhangwei', 'POST', `/approvals/tasks/${task.id}/approve`, { version: task.version })
    await waitFor(
      async () => (await api('liuyang', 'GET', `/crm/contracts/${contract.id}`)).contract.status === 'active',
      'the contract to become active',
      15_000,
    )

    const phone = await openAs('liuyang', `/deals/contracts/${contract.id}/payment`, 'phone')
    await phone.page.getByTestId('payment-form').waitFor({ timeout: 20_000 })
    await phone.page.locator('input[name="amount"]').fill('20000')
    await phone.page.getByTestId('payment-submit').click()
    await phone.page.getByTestId('contract-payment-requests').waitFor({ timeout: 20_000 })
    const row = phone.page.locator('[data-testid="contract-payment-requests"] [data-state]').first()
    expect(await row.getAttribute('data-state')).toBe('pending')
    expect(await row.textContent()).toContain('审批中')
    // Nothing counts until finance approves.
    expect(await phone.page.getByTestId('contract-outstanding').textContent()).toContain('50,000.00')
    await expectNoHorizontalOverflow(phone.page)
    await shot(phone.page, 'phone-payment-request-pending')

    const [request] = (await api('liuyang', 'GET', `/crm/contracts/${contract.id}/payment-requests`)).items
    const fin = await pendingTaskOf(database, org, request.approvalInstanceId, 'zhuhong')
    await api('zhuhong', 'POST', `/approvals/tasks/${fin.id}/approve`, { version: fin.version })
    await waitFor(
      async () => (await api('liuyang', 'GET', `/crm/payment-requests/${request.id}`)).state === 'approved',
      'the request to be recorded',
      15_000,
    )
    await phone.page.reload()
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 20_000 }).toBe('approved')
    expect(await phone.page.getByTestId('contract-outstanding').textContent()).toContain('30,000.00')
    await shot(phone.page, 'phone-payment-request-approved')
    await phone.context.close()
    await api('wangjianguo', 'PUT', '/crm/rules', { ...rules, paymentApproval: false })
  })
})

describe.skipIf(!executablePath)('打单经验 (deal reviews)', () => {
  it('writes the review of a won deal on a phone, shows it as a similar won deal on an open one, and lists it on the desktop', async () => {
    const won = await api('liuyang', 'POST', '/crm/opportunities', {
      name: '华为 考勤 一期',
      customerId,
      amountCents: 1_500_000,
      competitors: ['钉钉'],
    })
    await api('liuyang', 'POST', `/crm/opportunities/${won.id}/close`, { outcome: 'won' })

    const { context, page } = await openAs('liuyang', `/deals/${won.id}`, 'phone')
    await page.getByTestId('deal-review-write').waitFor({ timeout: 20_000 })
    await page.getByTestId('deal-review-write').click()
    // Nothing written: the form says what is missing and saves nothing.
    await page.getByTestId('deal-review-submit').click()
    await page.getByText('请至少填写「做对了什么」或「经验教训」').waitFor({ timeout: 5_000 })
    expect((await api('liuyang', 'GET', `/crm/opportunities/${won.id}/review`)).review).toBeNull()
    await page.locator('textarea[name="whatWorked"]').fill('先让 HR 试用两周，数据说话')
    await page.locator('input[name="tags"]').fill('试用、HR')
    await shot(page, 'phone-review-form')
    await page.getByTestId('deal-review-submit').click()
    await page.getByTestId('deal-review').waitFor({ timeout: 20_000 })
    expect(await page.getByTestId('deal-review').textContent()).toContain('先让 HR 试用两周')
    const saved = (await api('liuyang', 'GET', `/crm/opportunities/${won.id}/review`)).review
    expect(saved).toMatchObject({ competitors: ['钉钉'], tags: ['试用', 'HR'] })
    await expectNoHorizontalOverflow(page)
    await shot(page, 'phone-review')

    const open = await api('liuyang', 'POST', '/crm/opportunities', {
      name: '华为 考勤 二期',
      customerId,
      amountCents: 2_000_000,
      competitors: ['钉钉'],
    })
    await page.goto(`${url}/app/deals/${open.id}`)
    await page.getByTestId('deal-similar').waitFor({ timeout: 20_000 })
    const similar = await page.getByTestId('deal-similar').textContent()
    expect(similar).toContain('华为 考勤 一期')
    expect(similar).toContain('同对手：钉钉')
    await shot(page, 'phone-similar')
    await context.close()

    const desk = await openAs('zhangwei', '/deals/reviews?competitor=钉钉', 'desktop', 'en')
    await desk.page.getByTestId('reviews-list').waitFor({ timeout: 20_000 })
    expect(await desk.page.getByTestId('reviews-filters').textContent()).toContain('钉钉')
    expect(await desk.page.getByTestId('reviews-list').textContent()).toContain('先让 HR 试用两周')
    await expectNoHorizontalOverflow(desk.page)
    await shot(desk.page, 'desktop-reviews')
    await desk.context.close()
  })
})
