import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { serveStatic } from '@hono/node-server/serve-static'
import type { Hono } from 'hono'

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, '../..')

/**
 * Node-only static files: the API reference's assets (from the swagger-ui-dist package, so the page works
 * with no Internet) and the built mini-app at /app/ with an index.html fallback for deep links.
 */
export function mountStatic<E extends object>(app: Hono<E & { Variables: object }>): void {
  const require = createRequire(import.meta.url)
  const swaggerDir = dirname(require.resolve('swagger-ui-dist/package.json'))
  app.use(
    '/api/docs/assets/swagger-ui-dist/*',
    serveStatic({
      root: relative(process.cwd(), swaggerDir),
      rewriteRequestPath: (p) => p.replace('/api/docs/assets/swagger-ui-dist', ''),
    }),
  )

  const appDir = resolve(root, 'miniapp/dist')
  app.use(
    '/app/*',
    serveStatic({
      root: relative(process.cwd(), appDir),
      rewriteRequestPath: (p) => p.replace(/^\/app/, ''),
    }),
  )
  app.get('/app', (c) => c.redirect('/app/'))
  app.get('/app/*', (c) => {
    const index = resolve(appDir, 'index.html')
    if (!existsSync(index)) {
      return c.html(
        '<!doctype html><meta charset="utf-8"><title>flowcard</title><p>小程序尚未构建：运行 <code>npm run build -w miniapp</code>。<br>The mini-app is not built yet: run <code>npm run build -w miniapp</code>.</p>',
        503,
      )
    }
    return c.html(readFileSync(index, 'utf8'))
  })
}
