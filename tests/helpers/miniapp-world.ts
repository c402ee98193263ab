import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core'
import type { Database } from '../../db/client'
import { seedDevchatChats } from '../../db/seed/devchat'
import type { SeededOrg } from '../../db/seed/org'
import { launchBrowser } from './browser'
import { createTestTenant, openTestDatabase } from './db'
import { ensureMiniappBuilt, serveMiniapp, signInAt } from './miniapp-server'
import { sessionHeader } from './session'
import { type Stack, startStack } from './stack'

/**
 * A browser test's world: a fresh tenant (the seeded org plus devchat chats) on the test database, the stack
 * serving the API and devchat, the built mini-app served the way production serves it (`mountStatic`) on a
 * real port, and a headless Chromium.
 */
export interface MiniappWorld {
  database: Database
  stack: Stack
  org: SeededOrg
  tenantKey: string
  /** `http://127.0.0.1:<port>`: `/app/...` is the mini-app, `/devchat/...` the simulator, `/api/v1/...` the API. */
  url: string
  browser: Browser
  /** Calls the API as a seeded user (`'liuyang'`), throwing with the status and body on a non-2xx answer. */
  api<T = unknown>(userKey: string, method: string, path: string, body?: unknown): Promise<T>
  close(): Promise<void>
}

/**
 * Starts a world for `executablePath`'s Chromium. `prefix` names the tenant key (`e2e-<prefix>-…`), and
 * `seed` adds what the test needs before the server starts (templates, notices).
 */
export async function startMiniappWorld(options: {
  executablePath: string
  prefix: string
  seed?: (database: Database, org: SeededOrg) => Promise<void>
}): Promise<MiniappWorld> {
  ensureMiniappBuilt()
  const database = await openTestDatabase()
  const tenantKey = `e2e-${options.prefix}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
  const org = await createTestTenant(database, { tenantKey })
  await seedDevchatChats(database.db, org)
  await options.seed?.(database, org)
  const stack = await startStack(database, { tenantId: org.tenantId, tenantKey })

  // The stack serves the API and devchat; the built mini-app is served the way production does.
  const web = await serveMiniapp(stack)
  const url = web.url
  const browser = await launchBrowser(options.executablePath)

  return {
    database,
    stack,
    org,
    tenantKey,
    url,
    browser,
    async api<T = unknown>(userKey: string, method: string, path: string, body?: unknown): Promise<T> {
      const userId = org.users[userKey]
      if (!userId) throw new Error(`no user ${userKey}`)
      const res = await stack.app.request(`/api/v1${path}`, {
        method,
        headers: { ...(await sessionHeader(org.tenantId, userId)), 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      const text = await res.text()
      if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`)
      return JSON.parse(text) as T
    },
    async close() {
      await browser.close()
      await web.close()
      await stack.close()
      await database.close()
    },
  }
}

/**
 * A browser context signed in through devchat as `as` (a login code exchanged by the mini-app on load),
 * opened at the mini-app path `path`. `context` passes through to Playwright (viewport, locale,
 * geolocation); `storedLocale` presets the language the mini-app remembers; `prepare` runs on the new
 * context before the first page opens (routes that hold a chunk back, say).
 */
let devices = 0

export async function openAs(
  world: MiniappWorld,
  as: string,
  path: string,
  context: BrowserContextOptions = {},
  storedLocale?: string,
  prepare?: (context: BrowserContext) => Promise<unknown>,
): Promise<{ context: BrowserContext; page: Page }> {
  // Each context is another device: its own client address (behind the proxy the app trusts), so the
  // per-address login budget (10 a minute) counts one person's device, not every test of a file together.
  const device = ++devices
  const browserContext = await world.browser.newContext({
    locale: 'zh-CN',
    extraHTTPHeaders: { 'x-forwarded-for': `10.77.${(device >> 8) & 255}.${device & 255}` },
    ...context,
  })
  if (context.geolocation) await browserContext.grantPermissions(['geolocation'], { origin: world.url })
  if (storedLocale)
    await browserContext.addInitScript((l) => localStorage.setItem('flowcard.locale', l), storedLocale)
  await prepare?.(browserContext)
  const page = await browserContext.newPage()
  await signInAt(page, world.url, world.tenantKey, as, path)
  return { context: browserContext, page }
}
