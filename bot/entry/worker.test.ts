import type { ExecutionContext } from 'hono'
import { describe, expect, it, vi } from 'vitest'
import worker from './worker'

/** Configuration mistakes answer 500 naming the problem class, never echoing a value (workerd test: tests/runtime). */
const ctx: ExecutionContext = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} }
const call = async (bindings: Record<string, unknown>) => {
  const res = await worker.fetch(new Request('https://flowcard.example.com/healthz'), bindings, ctx)
  return { status: res.status, body: (await res.json()) as { error: { code: string; message: string } } }
}
const hyperdrive = { connectionString: 'postgres://u:p@127.0.0.1:1/db' }
const secret = 's'.repeat(40)

describe('Workers entry configuration', () => {
  it('refuses an invalid variable without echoing it, and logs which one', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    const r = await call({
      HYPERDRIVE: hyperdrive,
      SESSION_SECRET: secret,
      PUBLIC_URL: 'not a url secretvalue',
    })
    expect(r.status).toBe(500)
    expect(r.body.error.code).toBe('misconfigured')
    expect(JSON.stringify(r.body)).not.toContain('secretvalue')
    const line = String(logged.mock.calls[0]?.[0])
    expect(line).toContain('PUBLIC_URL')
    expect(line).not.toContain('secretvalue')
    logged.mockRestore()
  })

  it('needs the Hyperdrive binding', async () => {
    const r = await call({ SESSION_SECRET: secret })
    expect(r).toEqual({
      status: 500,
      body: { error: { code: 'misconfigured', message: expect.stringContaining('HYPERDRIVE') } },
    })
  })

  it('needs SESSION_SECRET', async () => {
    const r = await call({ HYPERDRIVE: hyperdrive })
    expect(r.body.error.message).toContain('SESSION_SECRET')
    expect(r.status).toBe(500)
  })

  it('answers health without touching the database', async () => {
    const res = await worker.fetch(
      new Request('https://flowcard.example.com/healthz'),
      { HYPERDRIVE: hyperdrive, SESSION_SECRET: secret, LOG_LEVEL: 'silent' },
      ctx,
    )
    expect(res.status).toBe(200)
  })
})
