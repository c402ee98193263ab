import { resolve } from 'node:path'
import { eq } from 'drizzle-orm'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { notices, users } from '../../db/schema'
import { seedApprovalTemplates } from '../../db/seed/approvals'
import { seedNotices } from '../../db/seed/notices'
import { actingAs } from '../helpers/actors'
import { chromiumPath, OUTPUT_DIR } from '../helpers/browser'
import { cardLinks, createSalesSamples, presenterNames, renderEveryCard } from '../helpers/card-samples'
import { dayFromNow, rangeFromNow } from '../helpers/dates'
import { type MiniappWorld, openAs as openWorldAs, startMiniappWorld } from '../helpers/miniapp-world'

// The journeys of the first-use review (../shared/reviews/ux.md, issue 20), walked again at phone and desktop
// sizes, in Chinese and English. Screenshots land in tests/output/.
//
// Review item → browser test (file › name) → screenshots. "zh" = zh-CN.
// B1 admin console  admin-console.test.ts › opens from 我的 … (phone, zh); revokes a role … (phone, zh);
//                   filters the audit log and exports it as CSV (phone, zh); disables and enables a template …
//                   (phone, zh); uses the wide layout on desktop … (desktop, en); designs a template … ;
//                   greets a company on its first day … (phone zh, desktop en)
//                   → admin-phone-zh-{hub,people,departments,last-admin,role,audit,templates,crm,first-day,
//                     first-day-audit,designer-refused,designer-published}.png,
//                     admin-desktop-en-{hub,people,audit,first-day-templates,designer}.png
// B2 files          here › files in approvals › uploads an invoice and a photo on the phone … (zh); adds files
//                   by drag and drop on the desktop when resubmitting a returned claim (en)
//                   → ux-b2-phone-zh-{refused,uploaded,detail}.png, ux-b2-desktop-en-{resubmit,detail}.png
//                   (the chat card's file link: tests/integration/card-times.test.ts renders every card)
// M1 card links     here › every button of a chat card opens a page that exists › walks every link every card
//                   presenter can carry (phone, zh-CN) / (desktop, en); the links come from every presenter's
//                   sample rendered in zh and en → ux-m1-phone-zh-CN-follow-up.png, ux-m1-desktop-en-follow-up.png
// M2 reject reason  here › rejecting from the chat card › asks for a reason and confirms before it rejects
//                   (desktop, zh-CN) / (phone, en), in devchat → ux-m2-{desktop-zh-CN,phone-en}-{no-reason,
//                   rejected}.png; 退回 and the domain rule: tests/integration/approvals-reject-reason.test.ts
// M3 server message here › finding customers › shows the bot’s own message when a new customer duplicates a
//                   colleague’s (phone, zh-CN) / (desktop, en) → ux-m3-phone-zh-CN-duplicate.png,
//                   ux-m3-desktop-en-duplicate.png
// M4 out of scope   here › finding customers › tells a rep who owns a customer outside their scope … (phone,
//                   zh-CN) / (desktop, en) → ux-m4-phone-zh-CN-elsewhere.png, ux-m4-desktop-en-elsewhere.png
//                   (chat and API: tests/integration/crm-elsewhere.test.ts)
// M5 time zone      here › times in the tenant’s zone … (phone and desktop × zh-CN and en, device in UTC, then
//                   an admin's zone) → ux-m5-{phone,desktop}-{zh-CN,en}-{beijing,los-angeles}.png; every card
//                   at 07:30 Beijing: tests/integration/card-times.test.ts; one's own zone on 我的 (phone zh-CN,
//                   desktop en) → ux-m5-own-{phone-zh-CN,desktop-en}-{company,set,approval}.png
// M6 reports        reports.test.ts (its own issue) → reports-{customers-new-phone,drill-phone,funnel-*,
//                   map-desktop,map-city-desktop}.png (zh only)
// M7 本部门          here › finding customers › … keeps 本部门 to the department (phone, zh-CN) / (desktop, en)
//                   → ux-m7-phone-zh-CN-department.png, ux-m7-desktop-en-department.png
// M8 desktop        here › the desktop layout at 1280×800 (zh-CN) / (en): every main page without sideways
//                   scrolling, sortable tables, list and detail side by side
//                   → ux-m8-desktop-{zh-CN,en}-{home,customers,customer,approvals,approval,approval-new,notices,
//                     me,customers-split,approvals-split,notices-split}.png (phone: the other tests' pages)
// M9 location       here › a new customer’s region and location › picks province, city and district … (phone,
//                   zh-CN) / (desktop, en) → ux-m9-{phone-zh-CN,desktop-en}-{form,saved}.png
// M10 approvers     here › who will approve, before submitting › redraws the flow … (phone and desktop × zh-CN
//                   and en) → ux-m10-{phone,desktop}-{zh-CN,en}-{before,after}.png

const executablePath = chromiumPath()
const PHONE = { width: 390, height: 844 }
const DESKTOP = { width: 1280, height: 800 }
type Size = 'phone' | 'desktop'
type Lang = 'zh-CN' | 'en'

/** The smallest valid PNG (1×1), and a one-page PDF's first bytes: what the bot's type checks accept. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
)
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n')

let world: MiniappWorld

const api = <T>(userKey: string, method: string, path: string, body?: unknown) =>
  world.api<T>(userKey, method, path, body)

/** A browser context signed in through devchat as `as`, at phone or desktop size, in `lang`, opened at `path`. */
function openAs(as: string, path: string, size: Size = 'phone', lang: Lang = 'zh-CN') {
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

/**
 * Waits up to 30 s for `selector` on `page`; on a timeout the error says where the page was and what it showed
 * (under the full suite's load a page once never showed its content, and the bare timeout told nothing).
 */
async function shows(page: Page, selector: string): Promise<void> {
  try {
    await page.locator(selector).first().waitFor({ timeout: 30_000 })
  } catch (err) {
    const text = await page
      .locator('body')
      .textContent({ timeout: 2_000 })
      .catch(() => null)
    throw new Error(
      `${selector} not shown in 30 s at ${page.url()}; the page showed: ${(text ?? '(no body)').replace(/\s+/g, ' ').slice(0, 400)}`,
      { cause: err },
    )
  }
}

/** How the mini-app writes an instant (`formatDateTime`): date and minutes in `zone`. */
const shown = (iso: string, lang: Lang, zone: string) =>
  new Intl.DateTimeFormat(lang, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: zone,
  }).format(new Date(iso))

const shot = (page: Page, name: string) => page.screenshot({ path: resolve(OUTPUT_DIR, `ux-${name}.png`) })

/** Fails when the page is wider than the window (a horizontal scroll bar): the desktop layout's floor. */
async function expectNoHorizontalOverflow(page: Page): Promise<void> {
  const found = await page.evaluate(() => {
    const root = document.scrollingElement ?? document.documentElement
    const wide: string[] = []
    for (const el of document.body.querySelectorAll<HTMLElement>('*')) {
      const box = el.getBoundingClientRect()
      if (box.width > window.innerWidth + 1 && box.height > 0) {
        const cls = typeof el.className === 'string' ? el.className.split(' ')[0] : ''
        wide.push(`${el.tagName.toLowerCase()}${cls ? `.${cls}` : ''} ${Math.round(box.width)}px`)
      }
    }
    return { scroll: root.scrollWidth - root.clientWidth, wide: wide.slice(0, 5) }
  })
  expect(found.scroll, 'page scrolls sideways').toBeLessThanOrEqual(0)
  expect(found.wide, 'elements wider than the window').toEqual([])
}

beforeAll(async () => {
  if (!executablePath) return
  world = await startMiniappWorld({
    executablePath,
    prefix: 'ux',
    seed: async (database, org) => {
      await seedApprovalTemplates(database.db, org)
      await seedNotices(database.db, org)
    },
  })
}, 180_000)

afterAll(async () => {
  await world?.close()
})

interface Instance {
  id: string
  status: string
  form: Record<string, unknown>
  myTask: { id: string; version: number } | null
}

describe.skipIf(!executablePath)('files in approvals', () => {
  it('uploads an invoice and a photo on the phone, refusing a wrong file in the form first (zh)', async () => {
    const { context, page } = await openAs('liuyang', '/approvals/new/expense')
    const field = page.locator('[data-field="receipts"]')
    await field.locator('[data-testid="file-input"]').waitFor({ state: 'attached', timeout: 20_000 })
    let uploads = 0
    page.on('request', (r) => {
      if (r.url().includes('/api/v1/approvals/files') && r.method() === 'POST') uploads++
    })
    // Refused in the form before anything is sent: the wrong type, and a file over the limit.
    await field.locator('[data-testid="file-input"]').setInputFiles([
      { name: 'setup.exe', mimeType: 'application/x-msdownload', buffer: Buffer.from('MZ') },
      { name: '扫描件.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(21 * 1024 * 1024, 1) },
    ])
    await expect.poll(() => field.textContent()).toContain('setup.exe：不支持此文件类型')
    await expect.poll(() => field.textContent()).toContain('扫描件.pdf：超过 20 MB，无法上传')
    expect(uploads).toBe(0)
    await shot(page, 'b2-phone-zh-refused')

    await field.locator('[data-testid="file-input"]').setInputFiles([
      { name: '机票行程单.pdf', mimeType: 'application/pdf', buffer: PDF },
      { name: '酒店发票.png', mimeType: 'image/png', buffer: PNG },
    ])
    await expect.poll(() => field.locator('[data-testid="file-item"]').count(), { timeout: 20_000 }).toBe(2)
    expect(uploads).toBe(2)
    await expect.poll(() => field.textContent()).not.toContain('setup.exe')
    await page.locator('.van-radio', { hasText: '差旅' }).click()
    await page.locator('input[name="amount"]').fill('6800')
    await page.locator('input[name="date"]').fill(dayFromNow(-2))
    await page.locator('textarea[name="description"]').fill('上海出差机票和酒店')
    await shot(page, 'b2-phone-zh-uploaded')
    await page.locator('[data-testid="approval-form"] button[type="submit"]').click()
    await page.waitForURL(/\/app\/approvals\/ins_/, { timeout: 20_000 })
    const id = new URL(page.url()).pathname.split('/').pop() ?? ''

    // The detail page previews the image and links the PDF, both fetched with the session.
    const files = page.locator('[data-field="receipts"] [data-testid="approval-files"]')
    await files.waitFor({ timeout: 20_000 })
    await expect
      .poll(
        () =>
          files
            .locator('[data-testid="approval-file-image"]')
            .evaluate((img: HTMLImageElement) => img.naturalWidth),
        {
          timeout: 10_000,
        },
      )
      .toBe(1)
    expect(await files.locator('[data-testid="approval-file-link"]').textContent()).toContain(
      '机票行程单.pdf',
    )
    await shot(page, 'b2-phone-zh-detail')
    const stored = await api<Instance>('liuyang', 'GET', `/approvals/instances/${id}`)
    expect((stored.form.receipts as Array<{ name: string }>).map((f) => f.name)).toEqual([
      '机票行程单.pdf',
      '酒店发票.png',
    ])
    await context.close()
  })

  it('adds files by drag and drop on the desktop when resubmitting a returned claim (en)', async () => {
    const started = await api<Instance>('liuyang', 'POST', '/approvals/instances', {
      templateKey: 'expense',
      form: { category: 'travel', amount: 680_000, date: dayFromNow(-3), description: 'Trip to Shanghai' },
    })
    const forManager = await api<Instance>('zhangwei', 'GET', `/approvals/instances/${started.id}`)
    if (!forManager.myTask) throw new Error('the manager has no task')
    await api('zhangwei', 'POST', `/approvals/tasks/${forManager.myTask.id}/return`, {
      version: forManager.myTask.version,
      comment: '请补充机票行程单和酒店发票后再提交',
    })

    const { context, page } = await openAs('liuyang', `/approvals/${started.id}`, 'desktop', 'en')
    await page.getByTestId('resubmit').click()
    const sheet = page.getByTestId('resubmit-sheet')
    const drop = sheet.locator('[data-field="receipts"] [data-testid="file-drop"]')
    await drop.waitFor({ timeout: 20_000 })
    const dataTransfer = await page.evaluateHandle(
      ([png, pdf]) => {
        const dt = new DataTransfer()
        dt.items.add(new File([new Uint8Array(png as number[])], 'hotel-invoice.png', { type: 'image/png' }))
        dt.items.add(
          new File([new Uint8Array(pdf as number[])], 'itinerary.pdf', { type: 'application/pdf' }),
        )
        dt.items.add(new File(['x'], 'notes.exe', { type: 'application/x-msdownload' }))
        return dt
      },
      [[...PNG], [...PDF]],
    )
    await drop.dispatchEvent('drop', { dataTransfer })
    await expect.poll(() => drop.locator('[data-testid="file-item"]').count(), { timeout: 20_000 }).toBe(2)
    await expect
      .poll(() => sheet.locator('[data-field="receipts"]').textContent())
      .toContain('notes.exe: this file type is not accepted')
    await shot(page, 'b2-desktop-en-resubmit')
    await sheet.locator('button[type="submit"]').click()
    await expect
      .poll(() => page.getByTestId('approval-status').getAttribute('data-status'), { timeout: 20_000 })
      .toBe('pending')
    const again = await api<Instance>('liuyang', 'GET', `/approvals/instances/${started.id}`)
    expect((again.form.receipts as Array<{ name: string }>).map((f) => f.name)).toEqual([
      'hotel-invoice.png',
      'itinerary.pdf',
    ])
    await page.locator('[data-testid="approval-files"]').waitFor({ timeout: 20_000 })
    await expectNoHorizontalOverflow(page)
    await shot(page, 'b2-desktop-en-detail')
    await context.close()
  })
})

/**
 * Opens `path` of the mini-app in `page` and waits for its page to mount. On a busy two-core machine a page
 * can take seconds; when one never mounts, the failure names the path, what the window shows and the
 * requests still unanswered, so a red run says which link and why.
 */
async function openPage(page: Page, path: string): Promise<void> {
  const pending = new Set<string>()
  const onRequest = (r: { url(): string }) => pending.add(r.url())
  const onDone = (r: { url(): string }) => pending.delete(r.url())
  page.on('request', onRequest)
  page.on('requestfinished', onDone)
  page.on('requestfailed', onDone)
  const started = Date.now()
  try {
    await page.goto(`${world.url}/app${path}`)
    await shows(page, '.page')
    await page.waitForLoadState('networkidle', { timeout: 30_000 })
  } catch (error) {
    const shows = await page
      .evaluate(() => document.body?.innerText.slice(0, 300) ?? '')
      .catch(() => '(page gone)')
    throw new Error(
      `${path}: no page after ${Date.now() - started} ms (${(error as Error).message.split('\n')[0]}); ` +
        `the window shows ${JSON.stringify(shows)}; unanswered: ${[...pending].join(', ') || 'none'}`,
    )
  } finally {
    page.off('request', onRequest)
    page.off('requestfinished', onDone)
    page.off('requestfailed', onDone)
  }
}

describe.skipIf(!executablePath)('every button of a chat card opens a page that exists', () => {
  const paths = new Set<string>()
  let customerId = ''

  beforeAll(async () => {
    if (!executablePath) return
    const customer = await api<{ id: string; name: string }>('liuyang', 'POST', '/crm/customers', {
      name: '华东精密机械有限公司',
      tier: 'A',
    })
    customerId = customer.id
    const leave = await api<Instance>('liuyang', 'POST', '/approvals/instances', {
      templateKey: 'leave',
      form: { kind: 'annual', dates: rangeFromNow(18, 2), reason: '回老家办事' },
    })
    const { database, org } = world
    const [notice] = await database.db
      .select({ id: notices.id })
      .from(notices)
      .where(eq(notices.tenantId, org.tenantId))
      .limit(1)
    if (!notice) throw new Error('no seeded notice')
    const ctx = actingAs(database, org, 'liuyang', 'api')
    const records = {
      customerId: customer.id,
      customerName: customer.name,
      approvalId: leave.id,
      templateKey: 'expense',
      noticeId: notice.id,
      ...(await createSalesSamples(ctx, customer.id)),
    }
    for (const locale of ['zh-CN', 'en'] as const) {
      const cards = await renderEveryCard(ctx, records, locale)
      for (const name of await presenterNames())
        expect(Object.keys(cards), `no sample for ${name}`).toContain(name)
      for (const card of Object.values(cards)) for (const path of cardLinks(card)) paths.add(path)
    }
    // The progress card of a returned request adds 修改并重新提交.
    paths.add(`/approvals/${leave.id}/resubmit`)
    // The links that were dead ends in the review are among them.
    expect([...paths]).toContain(`/customers/${customer.id}/follow-up`)
    expect([...paths]).toContain('/approvals/new?template=expense')
    expect([...paths]).toContain(`/deals/${records.opportunityId}`)
    expect([...paths]).toContain(`/deals/contracts/${records.contractId}`)
    // The lead cards: the lead itself and the full channel analysis.
    expect([...paths]).toContain('/leads/channels')
    expect([...paths].some((p) => /^\/leads\/lea_/.test(p))).toBe(true)
  }, 120_000)

  for (const size of ['phone', 'desktop'] as const) {
    it(`walks every link every card presenter can carry (${size}, ${size === 'desktop' ? 'en' : 'zh-CN'})`, async () => {
      expect(paths.size).toBeGreaterThan(10)
      // The phone walks in Chinese, the desktop in English.
      const lang: Lang = size === 'desktop' ? 'en' : 'zh-CN'
      const { context, page } = await openAs('liuyang', '/', size, lang)
      try {
        await shows(page, '.home-page__greeting')
        for (const path of paths) {
          await openPage(page, path)
          expect(await page.locator('.not-found-page').count(), `${path} shows 页面不存在`).toBe(0)
          expect(new URL(page.url()).pathname, `${path} left the app`).toMatch(/^\/app\//)
        }
        // 写跟进 opens the customer with the follow-up form up; the start card opens its template's form.
        await openPage(page, `/customers/${customerId}/follow-up`)
        await shows(page, '.van-popup textarea')
        await shot(page, `m1-${size}-${lang}-follow-up`)
        await openPage(page, '/approvals/new?template=expense')
        await shows(page, '[data-field="receipts"]')
      } finally {
        await context.close()
      }
    }, 300_000)
  }
})

describe.skipIf(!executablePath)('finding customers', () => {
  let poolName = ''

  beforeAll(async () => {
    if (!executablePath) return
    await api('huangli', 'POST', '/crm/customers', { name: '中国银行北京市分行', phone: '010-66596688' })
    poolName = '江南纺织有限公司'
    await api('zhangwei', 'POST', '/crm/customers', { name: poolName, tier: 'C', ownerId: null })
    await api('liuyang', 'POST', '/crm/customers', { name: '浦江智能科技有限公司', tier: 'B' })
  })

  for (const [size, lang] of [
    ['phone', 'zh-CN'],
    ['desktop', 'en'],
  ] as const) {
    it(`tells a rep who owns a customer outside their scope, and keeps 本部门 to the department (${size}, ${lang})`, async () => {
      const { context, page } = await openAs('liuyang', '/customers', size, lang)
      await page.locator('input[name="customer-search"]').fill('zgyh')
      const hint = page.getByTestId('customers-elsewhere')
      await hint.waitFor({ timeout: 20_000 })
      expect(await hint.textContent()).toContain('中国银行北京市分行')
      expect(await hint.textContent()).toContain(lang === 'en' ? 'owned by Li Huang' : '负责人 黄丽')
      await shot(page, `m4-${size}-${lang}-elsewhere`)

      await page.locator('input[name="customer-search"]').fill('')
      await page.locator('.customers-page__scopes .van-tab').nth(2).click()
      // Phone rows, or the desktop table's name column.
      const names = () => page.locator('[data-testid="customer-name"], td[data-col="name"]').allTextContents()
      await expect.poll(names, { timeout: 20_000 }).toContain('浦江智能科技有限公司')
      expect(await names()).not.toContain(poolName)
      if (size === 'desktop') await expectNoHorizontalOverflow(page)
      await shot(page, `m7-${size}-${lang}-department`)
      await context.close()
    })
  }

  for (const [size, lang, says] of [
    ['phone', 'zh-CN', '客户已存在，负责人 黄丽'],
    ['desktop', 'en', 'owned by Li Huang'],
  ] as const) {
    it(`shows the bot’s own message when a new customer duplicates a colleague’s (${size}, ${lang})`, async () => {
      const { context, page } = await openAs('liuyang', '/customers/new', size, lang)
      await page.locator('input[name="name"]').waitFor({ timeout: 20_000 })
      await page.locator('input[name="name"]').fill('中行北京分行')
      await page.locator('input[name="phone"]').fill('010-66596688')
      await page.locator('form button[type="submit"]').click()
      await expect.poll(() => page.locator('.van-toast').textContent(), { timeout: 20_000 }).toContain(says)
      // One language only: the other half of the bot's sentence is left out.
      expect(await page.locator('.van-toast').textContent()).not.toContain(' / ')
      if (size === 'desktop') await expectNoHorizontalOverflow(page)
      await shot(page, `m3-${size}-${lang}-duplicate`)
      await context.close()
    })
  }
})

describe.skipIf(!executablePath)('the desktop layout at 1280×800', () => {
  for (const lang of ['zh-CN', 'en'] as const) {
    it(`shows every main page without sideways scrolling, lists as sortable tables (${lang})`, async () => {
      const customer = await api<{ id: string }>('liuyang', 'POST', '/crm/customers', {
        name: `${lang}桌面测试客户有限公司`,
        tier: 'A',
      })
      await api('liuyang', 'POST', '/crm/customers', { name: `${lang}阿尔法贸易有限公司`, tier: 'B' })
      const leave = await api<Instance>('liuyang', 'POST', '/approvals/instances', {
        templateKey: 'leave',
        form: { kind: 'annual', dates: rangeFromNow(20, 1), reason: '家中有事' },
      })
      const { context, page } = await openAs('liuyang', '/', 'desktop', lang)
      await shows(page, '.home-page__greeting')
      const pages: Array<[string, string, string]> = [
        ['home', '/', '.home-page__greeting'],
        ['customers', '/customers', '[data-testid="customers-table"]'],
        ['customer', `/customers/${customer.id}`, '[data-testid="customer-title"]'],
        ['approvals', '/approvals?box=mine', '[data-testid="approvals-table"]'],
        ['approval', `/approvals/${leave.id}`, '[data-testid="approval-status"]'],
        ['approval-new', '/approvals/new/expense', '[data-field="receipts"]'],
        ['notices', '/notices', '.notices-page'],
        ['me', '/me', '.page'],
      ]
      for (const [name, path, ready] of pages) {
        await page.goto(`${world.url}/app${path}`)
        await shows(page, ready)
        await page.waitForLoadState('networkidle')
        await expectNoHorizontalOverflow(page)
        await shot(page, `m8-desktop-${lang}-${name}`)
      }

      // The customer card on its own page: the facts stay beside the tabs, and only there (no 概况 tab
      // repeating them).
      await page.goto(`${world.url}/app/customers/${customer.id}`)
      await page.getByTestId('customer-facts').waitFor({ timeout: 20_000 })
      const overviewTab = page.locator('.van-tab', { hasText: lang === 'en' ? 'Overview' : '概况' })
      expect(await overviewTab.count()).toBe(0)

      // The customer table sorts by a column header, and reverses on a second click.
      await page.goto(`${world.url}/app/customers`)
      const table = page.getByTestId('customers-table')
      await table.waitFor({ timeout: 20_000 })
      const names = () => table.locator('td[data-col="name"]').allTextContents()
      await table.locator('[data-sort="name"]').click()
      const ascending = await names()
      expect(ascending.length).toBeGreaterThan(1)
      await table.locator('[data-sort="name"]').click()
      expect(await names()).toEqual([...ascending].reverse())
      expect(await table.locator('th[aria-sort="descending"]').count()).toBe(1)
      // List and detail side by side: the record opens beside the table, which stays.
      await table.locator('td[data-col="name"]', { hasText: `${lang}桌面测试客户有限公司` }).click()
      const pane = page.getByTestId('detail-pane')
      await pane.getByTestId('customer-title').waitFor({ timeout: 20_000 })
      expect(await table.isVisible()).toBe(true)
      expect(new URL(page.url()).searchParams.get('open')).toBe(customer.id)
      await expectNoHorizontalOverflow(page)
      await shot(page, `m8-desktop-${lang}-customers-split`)

      await page.goto(`${world.url}/app/approvals?box=mine`)
      const approvals = page.getByTestId('approvals-table')
      await approvals.waitFor({ timeout: 20_000 })
      await approvals.locator('tbody tr').first().click()
      await pane.getByTestId('approval-status').waitFor({ timeout: 20_000 })
      expect(await approvals.isVisible()).toBe(true)
      await expectNoHorizontalOverflow(page)
      await shot(page, `m8-desktop-${lang}-approvals-split`)
      // The pair survives a reload.
      await page.reload()
      await pane.getByTestId('approval-status').waitFor({ timeout: 20_000 })

      await page.goto(`${world.url}/app/notices`)
      await page.locator('.notices-page').waitFor({ timeout: 20_000 })
      const rows = page.locator('.notices-page tbody tr')
      if ((await rows.count()) > 0) {
        await rows.first().click()
        await pane.locator('.page').first().waitFor({ timeout: 20_000 })
        await expectNoHorizontalOverflow(page)
        await shot(page, `m8-desktop-${lang}-notices-split`)
      }
      await context.close()
    }, 180_000)
  }
})

describe.skipIf(!executablePath)('who will approve, before submitting (M10)', () => {
  for (const size of ['phone', 'desktop'] as const) {
    for (const lang of ['zh-CN', 'en'] as const) {
      it(`redraws the flow as the amount crosses a branch (${size}, ${lang})`, async () => {
        const { context, page } = await openAs('liuyang', '/approvals/new/expense', size, lang)
        const flow = page.getByTestId('flow-preview')
        await flow.locator('.flow-preview__step').first().waitFor({ timeout: 20_000 })
        const finance = lang === 'en' ? 'Finance' : '财务审批'
        const text = async () => (await flow.textContent()) ?? ''
        // Nothing entered yet: the manager only (张伟 / Wei Zhang), no finance step.
        await expect.poll(text, { timeout: 20_000 }).toContain(lang === 'en' ? 'Wei Zhang' : '张伟')
        expect(await text()).not.toContain(finance)
        await shot(page, `m10-${size}-${lang}-before`)
        await page.locator('[data-field="amount"] input').fill('6000')
        await page.locator('[data-field="amount"] input').blur()
        // Over ¥5,000: finance joins, named with its people, before anything is submitted.
        await expect.poll(text, { timeout: 20_000 }).toContain(finance)
        expect(await text()).toContain(lang === 'en' ? 'Bin Hu' : '胡斌')
        if (lang === 'en') {
          expect(await text()).not.toMatch(/[\u4e00-\u9fff]/)
          // The choices too come from the template's English names.
          const category = (await page.locator('[data-field="category"]').textContent()) ?? ''
          expect(category).toContain('Travel')
          expect(category).not.toContain('差旅')
        }
        if (size === 'desktop') await expectNoHorizontalOverflow(page)
        await shot(page, `m10-${size}-${lang}-after`)
        await context.close()
      })
    }
  }
})

describe.skipIf(!executablePath)('times in the tenant’s zone, whatever the device’s (M5)', () => {
  it('shows a request’s times in Beijing time on a device set to UTC, then in the zone an admin sets', async () => {
    const leave = await api<Instance & { createdAt: string }>('liuyang', 'POST', '/approvals/instances', {
      templateKey: 'leave',
      form: { kind: 'annual', dates: rangeFromNow(40, 1), reason: '时区测试' },
    })
    const meta = (page: Page) => page.locator('.approval-page__meta').nth(1)
    const visit = async (size: Size, lang: Lang, zone: string, label: string) => {
      const { context, page } = await openWorldAs(
        world,
        'liuyang',
        `/approvals/${leave.id}`,
        {
          viewport: size === 'desktop' ? DESKTOP : PHONE,
          isMobile: size === 'phone',
          hasTouch: size === 'phone',
          locale: lang,
          // The device's own zone is neither the tenant's nor the one set later.
          timezoneId: 'UTC',
        },
        lang,
      )
      await meta(page).waitFor({ timeout: 20_000 })
      await expect.poll(() => meta(page).textContent()).toContain(shown(leave.createdAt, lang, zone))
      expect(await meta(page).textContent()).not.toContain(shown(leave.createdAt, lang, 'UTC'))
      // The title in the reader's language too.
      expect(await page.locator('.approval-page__title').textContent()).toContain(
        lang === 'en' ? 'Leave request from Yang Liu: 时区测试' : '刘洋的请假：时区测试',
      )
      if (size === 'desktop') await expectNoHorizontalOverflow(page)
      await shot(page, `m5-${size}-${lang}-${label}`)
      await context.close()
    }
    for (const size of ['phone', 'desktop'] as const)
      for (const lang of ['zh-CN', 'en'] as const) await visit(size, lang, 'Asia/Shanghai', 'beijing')
    await api('wangjianguo', 'PUT', '/admin/settings', { timeZone: 'America/Los_Angeles' })
    try {
      for (const size of ['phone', 'desktop'] as const)
        for (const lang of ['zh-CN', 'en'] as const)
          await visit(size, lang, 'America/Los_Angeles', 'los-angeles')
    } finally {
      await api('wangjianguo', 'PUT', '/admin/settings', { timeZone: 'Asia/Shanghai' })
    }
  }, 180_000)
})

describe.skipIf(!executablePath)('one’s own time zone on 我的 (M5)', () => {
  for (const [size, lang, zone] of [
    ['phone', 'zh-CN', 'Europe/Berlin'],
    ['desktop', 'en', 'Asia/Tokyo'],
  ] as const)
    it(`shows the zone times are in, sets one’s own and then sees times in it (${size}, ${lang})`, async () => {
      const leave = await api<Instance & { createdAt: string }>('liuyang', 'POST', '/approvals/instances', {
        templateKey: 'leave',
        form: { kind: 'annual', dates: rangeFromNow(41, 1), reason: '我的时区' },
      })
      const { context, page } = await openAs('liuyang', '/me', size, lang)
      try {
        const select = page.locator('[data-testid="me-time-zone-select"]')
        await select.waitFor({ timeout: 20_000 })
        expect(await select.inputValue()).toBe('')
        expect(await page.locator('[data-testid="me-time-zone-now"]').textContent()).toContain(
          'Asia/Shanghai',
        )
        await shot(page, `m5-own-${size}-${lang}-company`)
        await select.selectOption(zone)
        await expect
          .poll(() => page.locator('[data-testid="me-time-zone-now"]').textContent())
          .toContain(zone)
        expect(await page.locator('[data-testid="me-time-zone-source"]').textContent()).toContain(
          lang === 'en' ? 'Your own choice' : '自己选择的时区',
        )
        if (size === 'desktop') await expectNoHorizontalOverflow(page)
        await shot(page, `m5-own-${size}-${lang}-set`)
        // The same session now shows a request's times in the chosen zone.
        await page.goto(`${world.url}/app/approvals/${leave.id}`)
        const meta = page.locator('.approval-page__meta').nth(1)
        await meta.waitFor({ timeout: 20_000 })
        await expect.poll(() => meta.textContent()).toContain(shown(leave.createdAt, lang, zone))
        await shot(page, `m5-own-${size}-${lang}-approval`)
      } finally {
        await context.close()
        await api('liuyang', 'PUT', '/me/time-zone', { timeZone: null })
      }
    }, 120_000)
})

describe.skipIf(!executablePath)('a new customer’s region and location (M9)', () => {
  for (const [size, lang] of [
    ['phone', 'zh-CN'],
    ['desktop', 'en'],
  ] as const) {
    it(`picks province, city and district, takes the location on site, and check-in can measure (${size}, ${lang})`, async () => {
      const desktop = size === 'desktop'
      const { context, page } = await openWorldAs(
        world,
        'liuyang',
        '/customers/new',
        {
          viewport: desktop ? DESKTOP : PHONE,
          deviceScaleFactor: desktop ? 1 : 2,
          isMobile: !desktop,
          hasTouch: !desktop,
          locale: lang,
          geolocation: { latitude: 31.2405, longitude: 121.5007, accuracy: 15 },
        },
        lang,
      )
      const name = `${lang}陆家嘴现场客户有限公司`
      await page.locator('input[name="name"]').waitFor({ timeout: 20_000 })
      await page.locator('input[name="name"]').fill(name)
      // Region from the province/city/district picker, not free text.
      await page.getByTestId('region-field').click()
      const cascader = page.getByTestId('region-cascader')
      await cascader.waitFor({ timeout: 20_000 })
      for (const step of ['广东省', '深圳市', '福田区'])
        await cascader.locator('.van-cascader__option', { hasText: step }).first().click()
      await expect
        .poll(() => page.locator('[data-testid="region-field"] input').inputValue(), { timeout: 10_000 })
        .toBe('广东省 深圳市 福田区')
      // The location taken on site ("use my current location").
      await page.getByTestId('locate-here').click()
      await page.getByTestId('location-set').waitFor({ timeout: 20_000 })
      if (desktop) await expectNoHorizontalOverflow(page)
      await shot(page, `m9-${size}-${lang}-form`)
      await page.locator('[data-testid="customer-form"] button[type="submit"]').click()
      await page.getByTestId('customer-title').waitFor({ timeout: 20_000 })
      const id = new URL(page.url()).pathname.split('/').pop() ?? ''
      const saved = await api<{
        districtCode: string | null
        region: string | null
        lat: number | null
        lng: number | null
      }>('liuyang', 'GET', `/crm/customers/${id}`)
      expect(saved.districtCode).toBe('440304')
      expect(saved.lat).toBeCloseTo(31.2405, 3)
      expect(saved.lng).toBeCloseTo(121.5007, 3)
      // So a check-in there measures a distance instead of 客户未设置地理位置.
      const checkIn = await api<{ visit: { checkInDistanceM: number | null } }>(
        'liuyang',
        'POST',
        '/crm/visits/check-in',
        {
          customerId: id,
          clientKey: `m9-${size}-${Date.now()}`,
          checkedInAt: new Date().toISOString(),
          lat: 31.2406,
          lng: 121.5008,
        },
      )
      expect(checkIn.visit.checkInDistanceM).toBeLessThan(50)
      await shot(page, `m9-${size}-${lang}-saved`)
      await context.close()
    }, 120_000)
  }
})

describe.skipIf(!executablePath)('rejecting from the chat card (M2)', () => {
  for (const [size, lang] of [
    ['desktop', 'zh-CN'],
    ['phone', 'en'],
  ] as const) {
    it(`asks for a reason and confirms before it rejects (${size}, ${lang})`, async () => {
      const en = lang === 'en'
      const { database, org } = world
      const manager = org.users.zhangwei ?? ''
      // The card speaks the approver's own language (the directory's setting).
      await database.db.update(users).set({ locale: lang }).where(eq(users.id, manager))
      const page = await world.browser.newPage({
        viewport: size === 'desktop' ? DESKTOP : PHONE,
        isMobile: size === 'phone',
        hasTouch: size === 'phone',
      })
      try {
        const description = `M2 ${size} 打车票据`
        const started = await api<Instance>('liuyang', 'POST', '/approvals/instances', {
          templateKey: 'expense',
          form: { category: 'travel', amount: 12_000, date: dayFromNow(-1), description },
        })
        const status = async () =>
          (await api<Instance>('liuyang', 'GET', `/approvals/instances/${started.id}`)).status
        await page.goto(`${world.url}/devchat/?tenant=${world.tenantKey}&as=zhangwei`)
        await page.locator('body[data-live="true"]').waitFor({ timeout: 20_000 })
        const reject = en ? 'Reject' : '拒绝'
        const card = page
          .getByTestId('card')
          .filter({ hasText: description })
          .filter({ has: page.getByTestId('card-button').filter({ hasText: reject }) })
          .last()
        await expect.poll(() => card.count(), { timeout: 30_000 }).toBe(1)
        const dialogs: string[] = []
        let answer = true
        page.on('dialog', (d) => {
          dialogs.push(d.message())
          void (answer ? d.accept() : d.dismiss())
        })
        const button = card.getByTestId('card-button').filter({ hasText: new RegExp(`^${reject}$`) })
        // No reason: refused with what is missing, nothing changes.
        await button.click()
        await expect
          .poll(() => page.getByTestId('toast').textContent(), { timeout: 20_000 })
          .toContain(en ? 'reason' : '请先在「审批意见」中填写拒绝理由')
        expect(await status()).toBe('pending')
        await shot(page, `m2-${size}-${lang}-no-reason`)
        // With a reason, the confirmation comes first; dismissing it changes nothing.
        await card.getByTestId('form-comment').fill('票据不全，请补充行程单')
        answer = false
        await button.click()
        await expect.poll(() => dialogs.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2)
        expect(dialogs.at(-1)).toContain(en ? 'Reject this request?' : '确认拒绝？')
        expect(await status()).toBe('pending')
        answer = true
        await button.click()
        await expect.poll(status, { timeout: 20_000 }).toBe('rejected')
        await shot(page, `m2-${size}-${lang}-rejected`)
      } finally {
        await page.close()
        await database.db.update(users).set({ locale: 'zh-CN' }).where(eq(users.id, manager))
      }
    }, 120_000)
  }
})
