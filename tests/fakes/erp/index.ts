import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** What the fake ERP does with the next webhook: answer 500, never answer (a timeout), or accept. */
export type ErpBehaviour = 'fail500' | 'hang' | 'ok'

export interface ErpDelivery {
  eventId: string
  attempt: number
  signatureValid: boolean
  timestampFresh: boolean
  status: number
  body: { id: string; type: string; data: { externalId: string; status: string } }
}

export interface FakeErp {
  url: string
  /** Set after the system is registered (the secret is shown once). */
  secret: string
  /** Behaviours for the next deliveries, in order; when empty, `fallback`. */
  script: ErpBehaviour[]
  fallback: ErpBehaviour
  deliveries: ErpDelivery[]
  /** event id → how many times the ERP processed it (its own dedupe must keep this at 1). */
  processed: Map<string, number>
  /** external id → final status the ERP recorded. */
  records: Map<string, string>
  close(): Promise<void>
}

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })

/**
 * A stand-in for an ERP receiving flowcard's approval webhooks on loopback. It verifies the signature with
 * its own HMAC code (node:crypto, not flowcard's), refuses stale timestamps and bad signatures with 401 as
 * a real receiver would, fails or hangs as scripted, and processes each event id exactly once.
 */
export async function createFakeErp(): Promise<FakeErp> {
  const hanging = new Set<() => void>()
  const erp: FakeErp = {
    url: '',
    secret: '',
    script: [],
    fallback: 'ok',
    deliveries: [],
    processed: new Map(),
    records: new Map(),
    close: async () => {
      for (const release of hanging) release()
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
  const server: Server = createServer(async (req, res) => {
    const raw = await readBody(req)
    const h = (n: string) => String(req.headers[n] ?? '')
    const ts = h('x-flowcard-timestamp')
    const nonce = h('x-flowcard-nonce')
    const expected = `v1=${createHmac('sha256', erp.secret).update(`${ts}.${nonce}.${raw}`).digest('hex')}`
    const got = h('x-flowcard-signature')
    const signatureValid =
      got.length === expected.length && timingSafeEqual(Buffer.from(got), Buffer.from(expected))
    const timestampFresh = Math.abs(Date.now() / 1000 - Number(ts)) <= 300
    const body = JSON.parse(raw) as ErpDelivery['body']
    const behaviour = erp.script.shift() ?? erp.fallback
    const record = (status: number) =>
      erp.deliveries.push({
        eventId: h('x-flowcard-event-id'),
        attempt: Number(h('x-flowcard-attempt')),
        signatureValid,
        timestampFresh,
        status,
        body,
      })
    if (!signatureValid || !timestampFresh || body.id !== h('x-flowcard-event-id')) {
      record(401)
      res.writeHead(401).end('bad signature')
      return
    }
    if (behaviour === 'hang') {
      record(0)
      // Never answers; released when the client gives up (or at close).
      await new Promise<void>((resolve) => {
        const release = () => {
          hanging.delete(release)
          resolve()
        }
        hanging.add(release)
        req.on('close', release)
      })
      res.destroy()
      return
    }
    if (behaviour === 'fail500') {
      record(500)
      res.writeHead(500, { 'content-type': 'text/plain' }).end('database is down')
      return
    }
    // Exactly-once processing by event id: a repeated event is acknowledged without reprocessing.
    if (!erp.processed.has(body.id)) {
      erp.records.set(body.data.externalId, body.data.status)
      erp.processed.set(body.id, 1)
    }
    record(200)
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  erp.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/flowcard/webhook`
  return erp
}
