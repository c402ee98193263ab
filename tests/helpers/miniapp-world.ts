import { execSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core'
import { mountStatic } from '../../bot/entry/static'
import { parseEnv } from '../../bot/env'
import type { Database } from '../../db/client'
import { seedDevchatChats } from '../../db/seed/devchat'
import type { SeededOrg } from '../../db/seed/org'
import { launchBrowser } from './browser'
import { createTestTenant, openTestDatabase } from './db'
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

const distIndex = resolve(process.cwd(), 'miniapp/dist/index.html')

/**
 * Starts a world for `executablePath`'s Chromium. `prefix` names the tenant key (`e2e-<prefix>-…`), and
 * `seed` adds what the test needs before the server starts (templates, notices).
 */
export async function startMiniappWorld(options: {
  executablePath: string
  prefix: string
  seed?: (database: Database, org: SeededOrg) => Promise<void>
}): Promise<MiniappWorld> {
  if (!existsSync(distIndex))
    execSync('npx vite build', { cwd: resolve(process.cwd(), 'miniapp'), stdio: 'inherit' })
  const database = await openTestDatabase()
  const tenantKey = `e2e-${options.prefix}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
  const org = await createTestTenant(database, { tenantKey })
  await seedDevchatChats(database.db, org)
  await options.seed?.(database, org)
  const stack = await startStack(database, { tenantId: org.tenantId, tenantKey })

  // The stack serves the API and devchat; the built mini-app is served the way production does.
  const outer = new Hono<{ Variables: object }>()
  mountStatic(outer, parseEnv({ LOG_LEVEL: 'silent' }))
  outer.all('*', (c) => stack.app.fetch(c.req.raw))
  const server = await new Promise<Server>((done) => {
    const s = serve({ fetch: outer.fetch, port: 0, hostname: '127.0.0.1' }, () => done(s as Server))
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
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
      server.closeAllConnections()
      await new Promise<void>((done) => server.close(() => done()))
      await stack.close()
      await database.close()
    },
  }
}

/**
 * A browser context signed in through devchat as `as` (a login code exchanged by the mini-app on load),
 * opened at the mini-app path `path`. `context` passes through to Playwright (viewport, locale,
 * geolocation); `storedLocale` presets the language the mini-app remembers.
 */
export async function openAs(
  world: MiniappWorld,
  as: string,
  path: string,
  context: BrowserContextOptions = {},
  storedLocale?: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const browserContext = await world.browser.newContext({ locale: 'zh-CN', ...context })
  if (context.geolocation) await browserContext.grantPermissions(['geolocation'], { origin: world.url })
  if (storedLocale)
    await browserContext.addInitScript((l) => localStorage.setItem('flowcard.locale', l), storedLocale)
  const page = await browserContext.newPage()
  const res = await fetch(`${world.url}/devchat/api/login-code`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tenant: world.tenantKey, as }),
  })
  const { code } = (await res.json()) as { code: string }
  const sep = path.includes('?') ? '&' : '?'
  await page.goto(`${world.url}/app${path}${sep}devchat_code=${encodeURIComponent(code)}`)
  return { context: browserContext, page }
}
