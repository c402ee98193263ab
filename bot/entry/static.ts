import { existsSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { serveStatic } from '@hono/node-server/serve-static'
import type { Hono } from 'hono'
import type { Env } from '../env'
import { appContentSecurityPolicy, appIndexHtml } from './app-index'

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, '../..')
const defaultAppDir = resolve(root, 'miniapp/dist')

/** index.html with the runtime settings the mini-app reads from `<meta>` tags (Feishu app id, login URL). */
function appIndex(env: Env, appDir: string): string | null {
  const index = resolve(appDir, 'index.html')
  if (!existsSync(index)) return null
  return appIndexHtml(readFileSync(index, 'utf8'), env)
}

/**
 * Node-only static files: the API reference's assets (from the swagger-ui-dist package, so the page works
 * with no Internet) and the built mini-app at /app/. Hashed assets are cached for a year and a missing one
 * is a real 404; every other /app/* path gets index.html (no-cache) so deep links work. `appDir` is another
 * build of the mini-app (the LCP bench serves an older build beside the current one).
 */
export function mountStatic<E extends object>(
  app: Hono<E & { Variables: object }>,
  env: Env,
  appDir: string = defaultAppDir,
): void {
  const require = createRequire(import.meta.url)
  const swaggerDir = dirname(require.resolve('swagger-ui-dist/package.json'))
  app.use(
    '/api/docs/assets/swagger-ui-dist/*',
    serveStatic({
      root: relative(process.cwd(), swaggerDir),
      rewriteRequestPath: (p) => p.replace('/api/docs/assets/swagger-ui-dist', ''),
    }),
  )

  app.use('/app/assets/*', async (c, next) => {
    await next()
    if (c.res.status !== 200) return
    c.res.headers.set('cache-control', 'public, max-age=31536000, immutable')
    // The answer depends on Accept-Encoding even when no compressed twin exists (caches must know).
    if (!c.res.headers.has('vary')) c.res.headers.set('vary', 'Accept-Encoding')
  })
  app.use(
    '/app/assets/*',
    serveStatic({
      root: relative(process.cwd(), appDir),
      rewriteRequestPath: (p) => p.replace(/^\/app/, ''),
      // The build writes `x.js.br` / `x.js.gz` beside each text asset (miniapp/vite.config.ts); the best one
      // the client accepts is sent with Content-Encoding, so no compression work per request.
      precompressed: true,
    }),
  )
  app.get('/app/assets/*', (c) => c.text('not found', 404))
  app.get('/app', (c) => c.redirect('/app/'))
  let cached: { html: string; csp: string; mtime: number } | null = null
  app.get('/app/*', async (c) => {
    const index = resolve(appDir, 'index.html')
    const mtime = existsSync(index) ? statSync(index).mtimeMs : 0
    if (!cached || cached.mtime !== mtime) {
      const html = appIndex(env, appDir)
      cached = html ? { html, csp: await appContentSecurityPolicy(html), mtime } : null
    }
    c.header('cache-control', 'no-cache')
    if (!cached) {
      return c.html(
        '<!doctype html><meta charset="utf-8"><title>flowcard</title><p>小程序尚未构建：运行 <code>npm run build -w miniapp</code>。<br>The mini-app is not built yet: run <code>npm run build -w miniapp</code>.</p>',
        503,
      )
    }
    c.header('content-security-policy', cached.csp)
    c.header('x-content-type-options', 'nosniff')
    c.header('referrer-policy', 'strict-origin-when-cross-origin')
    return c.html(cached.html)
  })
}
