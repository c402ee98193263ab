import { execSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { mountStatic } from '../../bot/entry/static'
import { parseEnv } from '../../bot/env'
import type { Stack } from './stack'

export const PHONE = { width: 390, height: 844 }
export const DESKTOP = { width: 1280, height: 800 }

/** Builds the mini-app once when no build is there (a fresh checkout without postinstall). */
export function ensureMiniappBuilt(): void {
  if (!existsSync(resolve(process.cwd(), 'miniapp/dist/index.html')))
    execSync('npx vite build', { cwd: resolve(process.cwd(), 'miniapp'), stdio: 'inherit' })
}

/** The stack's app with the built mini-app in front of it, on a loopback port, as `npm start` serves both. */
export async function serveMiniapp(stack: Stack): Promise<{ url: string; close(): Promise<void> }> {
  const outer = new Hono<{ Variables: object }>()
  mountStatic(outer, parseEnv({ LOG_LEVEL: 'silent' }))
  outer.all('*', (c) => stack.app.fetch(c.req.raw))
  const server = await new Promise<Server>((done) => {
    const s = serve({ fetch: outer.fetch, port: 0, hostname: '127.0.0.1' }, () => done(s as Server))
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((done) => server.close(() => done()))
    },
  }
}

/**
 * A browser context signed in through devchat's one-time login code as person `as` of devchat tenant
 * `tenant`, at phone or desktop size, in `lang`, opened at `path` of the mini-app.
 */
export async function openMiniappAs(
  browser: Browser,
  url: string,
  options: { tenant: string; as: string; path: string; desktop?: boolean; lang?: 'zh-CN' | 'en' },
): Promise<{ context: BrowserContext; page: Page }> {
  const desktop = options.desktop ?? false
  const lang = options.lang ?? 'zh-CN'
  const context = await browser.newContext({
    viewport: desktop ? DESKTOP : PHONE,
    deviceScaleFactor: desktop ? 1 : 2,
    isMobile: !desktop,
    hasTouch: !desktop,
    locale: lang,
    acceptDownloads: true,
  })
  await context.addInitScript((l) => localStorage.setItem('flowcard.locale', l), lang)
  const page = await context.newPage()
  await signInAt(page, url, options.tenant, options.as, options.path)
  return { context, page }
}

/** Opens mini-app `path` on `page`, signed in as `as` of devchat tenant `tenant` by a one-time login code. */
export async function signInAt(
  page: Page,
  url: string,
  tenant: string,
  as: string,
  path: string,
): Promise<void> {
  const res = await fetch(`${url}/devchat/api/login-code`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tenant, as }),
  })
  if (!res.ok) throw new Error(`devchat login-code → ${res.status} ${await res.text()}`)
  const { code } = (await res.json()) as { code: string }
  const sep = path.includes('?') ? '&' : '?'
  await page.goto(`${url}/app${path}${sep}devchat_code=${encodeURIComponent(code)}`)
}
