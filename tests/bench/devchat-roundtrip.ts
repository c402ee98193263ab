/**
 * devchat round trip: a message typed on the simulator page → the bot's card visible on that page, measured
 * in a real headless Chromium against the full stack (HTTP, ingest, outbox relay on NOTIFY, in-process
 * workers, PostgreSQL, SSE). Baseline in the same run: a page-side fetch of /healthz (the network and
 * browser floor). Target: median and p95 under 300 ms.
 *   npx tsx tests/bench/devchat-roundtrip.ts [iterations]
 */

import { demoOrg } from '../../db/seed/demo'
import { seedDevchatChats } from '../../db/seed/devchat'
import { seedOrg } from '../../db/seed/org'
import { chromiumPath, launchBrowser } from '../helpers/browser'
import { startStack } from '../helpers/stack'
import { createBenchDatabase } from './bench-db'
import { fmt, median, percentile, table } from './stats'

const iterations = Number(process.argv[2] ?? 30)
const path = chromiumPath()
if (!path) throw new Error('chromium is required (apt-get install chromium)')
const bench = await createBenchDatabase('devchat')
const tenantKey = 'bench'
const org = await bench.database.db.transaction((tx) =>
  seedOrg(tx, demoOrg, { name: 'bench', platform: 'devchat', tenantKey }),
)
await seedDevchatChats(bench.database.db, org)
const stack = await startStack(bench.database, { tenantId: org.tenantId, tenantKey })
const browser = await launchBrowser(path)
try {
  const page = await browser.newPage()
  await page.goto(`${stack.url}/devchat/?tenant=${tenantKey}&as=liuyang`)
  await page.locator('body[data-live="true"]').waitFor()
  const roundTrips: number[] = []
  const floor: number[] = []
  for (let i = 0; i < iterations + 3; i++) {
    const before = await page.getByTestId('bot-message').count()
    const started = (await page.evaluate('performance.now()')) as number
    await page.getByTestId('composer').fill(i % 2 ? '帮助' : '我是谁')
    await page.getByTestId('send').click()
    // Page-side code as strings: tsx's function-name helpers do not exist inside the page.
    const seenAt = (await page.evaluate(`new Promise((resolve) => {
      const check = () => {
        if (document.querySelectorAll('[data-testid="bot-message"]').length > ${before}) resolve(performance.now())
        else requestAnimationFrame(check)
      }
      check()
    })`)) as number
    const t0 = (await page.evaluate(
      `(async () => { const s = performance.now(); await fetch('/healthz'); return performance.now() - s })()`,
    )) as number
    if (i >= 3) {
      roundTrips.push(seenAt - started)
      floor.push(t0)
    }
  }
  table([
    {
      case: 'message → bot card visible',
      median_ms: fmt(median(roundTrips)),
      p95_ms: fmt(percentile(roundTrips, 95)),
      n: roundTrips.length,
    },
    {
      case: 'baseline: fetch /healthz from the page',
      median_ms: fmt(median(floor)),
      p95_ms: fmt(percentile(floor, 95)),
      n: floor.length,
    },
  ])
  console.log(
    `\nratio round trip / floor (median): ${fmt(median(roundTrips) / median(floor), 1)}x; target: < 300 ms`,
  )
} finally {
  await browser.close()
  await stack.close()
  await bench.drop()
}
