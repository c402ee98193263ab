import { resolve } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromiumPath, OUTPUT_DIR } from '../helpers/browser'
import { type MiniappWorld, openAs as openWorldAs, startMiniappWorld } from '../helpers/miniapp-world'

const executablePath = chromiumPath()

let world: MiniappWorld

const api = (userKey: string, method: string, path: string, body?: unknown) =>
  world.api(userKey, method, path, body)

const openAs = (as: string, path: string, viewport: { width: number; height: number }) =>
  openWorldAs(world, as, path, { viewport, deviceScaleFactor: 1 })

const shot = (page: Page, name: string) =>
  page.screenshot({ path: resolve(OUTPUT_DIR, `reports-${name}.png`) })

beforeAll(async () => {
  if (!executablePath) return
  world = await startMiniappWorld({ executablePath, prefix: 'reports' })
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
}, 180_000)

afterAll(async () => {
  await world?.close()
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
    await records.waitFor({ timeout: 20_000 })
    await expect.poll(() => records.textContent()).toContain('上海报表精工有限公司')
    expect(await records.textContent()).not.toContain('北京报表科技有限公司')
    await shot(page, 'drill-phone')
    await context.close()
  })

  it('draws the first chart light while ECharts downloads, then replaces it with the ECharts canvas', async () => {
    const { page, context } = await openAs('wangjianguo', '/', { width: 390, height: 844 })
    await page.locator('.home-page').waitFor({ timeout: 20_000 })
    // The ECharts chunk (`echarts-<hash>.js`, not the small `echarts-loader-…` the page imports) held back as
    // on a slow network, released once the light chart has been checked.
    let release = () => {}
    const held = new Promise<void>((r) => {
      release = r
    })
    await page.route(/\/assets\/echarts-[\w-]{8}\.js$/, async (route) => {
      await held
      await route.continue()
    })
    // Client-side, as a user goes there: the tab bar's 报表, the default report (new customers by month).
    await page.locator('.van-tabbar-item', { hasText: '报表' }).click()
    const lite = page.getByTestId('report-chart-lite')
    await lite.waitFor({ timeout: 20_000 })
    // The line over the table's periods, its first period under it.
    const rows = await page.getByTestId('report-table').locator('tbody tr td:first-child').allTextContents()
    expect(rows.length).toBeGreaterThan(0)
    expect(await lite.locator('polyline').getAttribute('points')).toMatch(/^[\d.]+,[\d.]+/)
    expect(await lite.locator('.report-chart__lite-axis span').first().textContent()).toBe(rows[0])
    expect(await page.locator('.report-chart canvas').count()).toBe(0)
    await shot(page, 'customers-new-light-phone')
    release()
    await page.locator('.report-chart canvas').first().waitFor({ timeout: 20_000 })
    expect(await lite.count()).toBe(0)
    await context.close()
  })

  it('draws the light chart as bars for a report by person, the longest bar the largest figure', async () => {
    let release = () => {}
    const held = new Promise<void>((r) => {
      release = r
    })
    const { page, context } = await openWorldAs(
      world,
      'wangjianguo',
      '/reports?r=customers-new&d=owner',
      { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 },
      undefined,
      (c) =>
        c.route(/\/assets\/echarts-[\w-]{8}\.js$/, async (route) => {
          await held
          await route.continue()
        }),
    )
    try {
      const lite = page.getByTestId('report-chart-lite')
      await lite.waitFor({ timeout: 20_000 })
      const table = page.getByTestId('report-table')
      await expect.poll(() => table.locator('tbody').textContent()).toContain('刘洋')
      // One bar per person of the table, in its order, labelled like its rows.
      const people = (await table.locator('tbody tr td:first-child').allTextContents()).map((x) => x.trim())
      const labels = (await lite.locator('.report-chart__lite-label').allTextContents()).map((x) => x.trim())
      expect(labels).toEqual(people.slice(0, 15))
      const widths = await lite
        .locator('.report-chart__lite-bar')
        .evaluateAll((bars) => bars.map((b) => Number.parseFloat((b as HTMLElement).style.width)))
      expect(Math.max(...widths)).toBe(100)
      expect(widths.every((w) => w >= 0 && w <= 100)).toBe(true)
      expect(await page.locator('.report-chart canvas').count()).toBe(0)
      await shot(page, 'customers-new-by-person-light-phone')
    } finally {
      release()
    }
    await page.locator('.report-chart canvas').first().waitFor({ timeout: 20_000 })
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
      .poll(() => page.getByTestId('report-table').locator('thead').textContent(), { timeout: 20_000 })
      .toContain('城市')
    await shot(page, 'map-city-desktop')
    await context.close()
  })
})
