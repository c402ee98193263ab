import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import type { AppEnv } from '../types'

const Health = z.object({ status: z.literal('ok') }).openapi('Health')
const Ready = z
  .object({
    status: z.enum(['ready', 'unavailable']),
    checks: z.object({ database: z.string(), queue: z.string() }),
  })
  .openapi('Readiness')

const healthz = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['ops'],
  summary: 'Process is up',
  responses: { 200: { description: 'up', content: { 'application/json': { schema: Health } } } },
})

const readyz = createRoute({
  method: 'get',
  path: '/readyz',
  tags: ['ops'],
  summary: 'Database and queue reachable',
  responses: {
    200: { description: 'ready', content: { 'application/json': { schema: Ready } } },
    503: {
      description: 'a dependency is unreachable; `checks` names which',
      content: { 'application/json': { schema: Ready } },
    },
  },
})

/** `ok` or the fixed word `down`: the driver's error (host, port, SQL) goes to the log, not to the caller. */
const withTimeout = async (
  p: Promise<void>,
  ms: number,
  onError: (err: unknown) => void,
): Promise<string> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)
      }),
    ])
    return 'ok'
  } catch (err) {
    onError(err)
    return 'down'
  } finally {
    if (timer) clearTimeout(timer)
  }
}

export function healthRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>()
  app.openapi(healthz, (c) => c.json({ status: 'ok' as const }, 200))
  app.openapi(readyz, async (c) => {
    const deps = c.get('deps')
    const [database, queue] = await Promise.all([
      withTimeout(deps.database.ping(), 2000, (err) =>
        c.get('logger').warn({ err }, 'readyz: database down'),
      ),
      withTimeout(deps.queue.ping(), 2000, (err) => c.get('logger').warn({ err }, 'readyz: queue down')),
    ])
    const ok = database === 'ok' && queue === 'ok'
    return c.json(
      { status: ok ? ('ready' as const) : ('unavailable' as const), checks: { database, queue } },
      ok ? 200 : 503,
    )
  })
  return app
}
