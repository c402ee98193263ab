/**
 * Mini-app first load: largest contentful paint of the production build served by the bot (mountStatic),
 * in headless Chromium with a phone viewport and Chrome's "slow 4G" network profile (150 ms RTT,
 * 1.6 Mbit/s down, 750 kbit/s up), cold cache each run, signed in through devchat (code exchange included).
 * Baseline in the same run: a one-line HTML page from the same server under the same throttling (the
 * network floor). Also reported with 4x CPU slowdown (a low-end phone). Target: LCP ≤ 1.5 s.
 * `--compare <dir>` serves another build of the mini-app (say main's, built into a folder of its own) from a
 * second server on the same stack and measures it in the same run, interleaved run by run, for a ratio
 * that the machine's load affects equally. Each case prints what its LCP element was and, for one run, the
 * requests the page made (start and end, ms after navigation) up to the first content.
 * A run of the app ends only once the home page shows its to-dos (or its empty state), so a paint that has
 * not happened yet can never read as a fast LCP; `content_ms` is when that content reached the screen.
 *   npx tsx tests/bench/miniapp-lcp.ts [runs] [--compare <dir>]
 */

import { execSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import type { Browser } from 'playwright-core'
import { mountStatic } from '../../bot/entry/static'
import { parseEnv } from '../../bot/env'
import { demoOrg, demoSeeders } from '../../db/seed/demo'
import { seedOrg } from '../../db/seed/org'
import { chromiumPath, launchBrowser } from '../helpers/browser'
import { startStack } from '../helpers/stack'
import { createBenchDatabase } from './bench-db'
import { fmt, median, table } from './stats'

const args = process.argv.slice(2)
const compareAt = args.indexOf('--compare')
const compareDir = compareAt >= 0 ? args[compareAt + 1] : undefined
if (compareAt >= 0 && !(compareDir && existsSync(resolve(compareDir, 'index.html'))))
  throw new Error('--compare needs a folder holding a built mini-app (index.html and assets/)')
const runs = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--compare') ?? 5)
const path = chromiumPath()
if (!path) throw new Error('chromium is required (apt-get install chromium)')
if (!existsSync(resolve('miniapp/dist/index.html')))
  execSync('npm run build -w miniapp', { stdio: 'inherit' })

const bench = await createBenchDatabase('lcp')
const tenantKey = 'lcp'
const org = await bench.database.db.transaction(async (tx) => {
  const o = await seedOrg(tx, demoOrg, { name: 'lcp', platform: 'devchat', tenantKey })
  for (const s of demoSeeders) await s(tx, o)
  return o
})
const stack = await startStack(bench.database, { tenantId: org.tenantId, tenantKey })
/** The product's static serving of one mini-app build in front of the stack's API and devchat. */
async function serveBuild(appDir?: string): Promise<{ server: Server; url: string }> {
  const outer = new Hono<{ Variables: object }>()
  outer.get('/bench/floor', (c) => c.html('<!doctype html><meta charset="utf-8"><p>flowcard 首屏基线</p>'))
  mountStatic(outer, parseEnv({ LOG_LEVEL: 'silent' }), appDir)
  outer.all('*', (c) => stack.app.fetch(c.req.raw))
  const server = await new Promise<Server>((done) => {
    const s = serve({ fetch: outer.fetch, port: 0, hostname: '127.0.0.1' }, () => done(s as Server))
  })
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}
const current = await serveBuild()
const compared = compareDir ? await serveBuild(resolve(compareDir)) : null

/** The home page's to-do sections, or its empty / error state: the content a user opened the app for. */
const HOME_CONTENT = '.home-page .todo-section, .home-page .van-empty'

const LCP_SCRIPT = `
  window.__lcp = 0
  window.__lcpElement = ''
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.startTime < window.__lcp) continue
      window.__lcp = e.startTime
      const el = e.element
      window.__lcpElement = el
        ? el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/s+/).join('.') : '') + ' ' + e.size + 'px²'
        : '(removed) ' + e.size + 'px²'
    }
  }).observe({ type: 'largest-contentful-paint', buffered: true })
  window.__content = 0
  new MutationObserver((_, observer) => {
    if (!document.querySelector('${HOME_CONTENT}')) return
    observer.disconnect()
    requestAnimationFrame((t) => { window.__content = t })
  }).observe(document, { childList: true, subtree: true })
`

interface Run {
  lcp: number
  content: number
  element: string
  requests: string[]
}

async function measure(browser: Browser, url: string, target: string, cpu: number): Promise<Run> {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 3,
    isMobile: true,
    hasTouch: true,
    locale: 'zh-CN',
  })
  await context.addInitScript(LCP_SCRIPT)
  const page = await context.newPage()
  const cdp = await context.newCDPSession(page)
  await cdp.send('Network.enable')
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 150,
    downloadThroughput: (1.6 * 1024 * 1024) / 8,
    uploadThroughput: (750 * 1024) / 8,
  })
  if (cpu > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: cpu })
  let full = target
  if (target.startsWith('/app')) {
    const res = await fetch(`${url}/devchat/api/login-code`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: tenantKey, as: 'liuyang' }),
    })
    const { code } = (await res.json()) as { code: string }
    full = `${target}?devchat_code=${encodeURIComponent(code)}`
  }
  await page.goto(`${url}${full}`, { waitUntil: 'networkidle' })
  // A function, not a string: a string predicate is re-evaluated with eval in the page, which the app's CSP refuses.
  if (target.startsWith('/app'))
    await page.waitForFunction(() => (window as unknown as { __content: number }).__content > 0, null, {
      timeout: 30_000,
    })
  await page.waitForTimeout(300)
  const lcp = (await page.evaluate('window.__lcp')) as number
  const content = (await page.evaluate('window.__content')) as number
  const element = (await page.evaluate('window.__lcpElement')) as string
  const requests = (await page.evaluate(`performance.getEntriesByType('resource').map((r) =>
    Math.round(r.startTime) + '–' + Math.round(r.responseEnd) + ' ms (sent ' + Math.round(r.requestStart) +
    ', first byte ' + Math.round(r.responseStart) + ')  ' + r.name.replace(location.origin, '').split('?')[0])`)) as string[]
  await context.close()
  if (!(lcp > 0)) throw new Error(`no largest-contentful-paint entry for ${target}`)
  return { lcp, content, element, requests }
}

const browser = await launchBrowser(path)
try {
  const rows: Array<Record<string, string | number>> = []
  const cases: Array<readonly [string, string, string, number]> = [
    ['mini-app home (/app/), slow 4G', current.url, '/app/', 1],
    ...(compared ? [[`compared build (${compareDir}), slow 4G`, compared.url, '/app/', 1] as const] : []),
    ['baseline: one-line page, slow 4G', current.url, '/bench/floor', 1],
    ['mini-app home, slow 4G + 4x CPU', current.url, '/app/', 4],
    ...(compared ? [[`compared build, slow 4G + 4x CPU`, compared.url, '/app/', 4] as const] : []),
  ]
  const results = new Map<string, Run[]>(cases.map(([label]) => [label, []]))
  for (const [, url, target, cpu] of cases) await measure(browser, url, target, cpu)
  // Interleaved: run i of every case before run i + 1 of any, so load on the machine falls on all alike.
  for (let i = 0; i < runs; i++)
    for (const [label, url, target, cpu] of cases)
      results.get(label)?.push(await measure(browser, url, target, cpu))
  for (const [label, , target] of cases) {
    const list = results.get(label) ?? []
    const values = list.map((r) => r.lcp)
    rows.push({
      case: label,
      lcp_median_ms: fmt(median(values), 0),
      min_ms: fmt(Math.min(...values), 0),
      max_ms: fmt(Math.max(...values), 0),
      content_median_ms: target.startsWith('/app') ? fmt(median(list.map((r) => r.content)), 0) : '-',
      n: values.length,
    })
  }
  table(rows)
  for (const [label, , target] of cases) {
    if (!target.startsWith('/app')) continue
    const list = results.get(label) ?? []
    const elements = [...new Set(list.map((r) => r.element))]
    console.log(`\n${label}\n  LCP element: ${elements.join(' | ')}`)
    const sample = list[Math.floor(list.length / 2)]
    if (sample) for (const r of sample.requests) console.log(`  ${r}`)
  }
  const byLabel = new Map(rows.map((r) => [r.case, Number(r.lcp_median_ms)]))
  const app = byLabel.get(cases[0]?.[0] ?? '') ?? Number.NaN
  const floor = byLabel.get('baseline: one-line page, slow 4G') ?? Number.NaN
  console.log(`\nratio app / floor (median): ${fmt(app / floor, 2)}x; target: LCP ≤ 1500 ms`)
  if (compared) {
    const other = byLabel.get(cases[1]?.[0] ?? '') ?? Number.NaN
    console.log(`ratio this build / compared build (median LCP, slow 4G): ${fmt(app / other, 2)}x`)
  }
} finally {
  await browser.close()
  for (const { server } of compared ? [current, compared] : [current]) {
    server.closeAllConnections()
    await new Promise<void>((r) => server.close(() => r()))
  }
  await stack.close()
  await bench.drop()
}
