/**
 * Load generator for tests/bench/webhook-ack.ts, run as a child process so its CPU is not the server's event
 * loop. For each phase it first builds the pushes (unique event and message ids, encrypted and signed like
 * Feishu), then sends them over `connections` keep-alive sockets on loopback: closed-loop (as fast as the
 * server answers) or open-loop at a fixed rate (latency measured from the scheduled send time, so queueing
 * counts). Bounded by `maxRequests` and `durationMs`.
 */
import { Agent, request } from 'node:http'
import { createPushBuilder, type FeishuPush } from '../fakes/feishu/push'

export interface LoadPhase {
  url: string
  connections: number
  durationMs: number
  maxRequests: number
  /** Open-loop rate; absent = closed loop. */
  ratePerSec?: number
  appId: string
  tenantKey: string
  verificationToken: string
  encryptKey: string
  senders: string[]
}

export interface LoadResult {
  requests: number
  errors: number
  non200: number
  elapsedMs: number
  rps: number
  latenciesMs: number[]
}

export async function buildPushes(phase: LoadPhase, count: number): Promise<FeishuPush[]> {
  const push = createPushBuilder({
    appId: phase.appId,
    tenantKey: phase.tenantKey,
    verificationToken: phase.verificationToken,
    encryptKey: phase.encryptKey,
  })
  const out: FeishuPush[] = []
  const stamp = `${Date.now().toString(36)}${process.pid}`
  for (let i = 0; i < count; i++) {
    const sender = phase.senders[i % phase.senders.length] ?? 'ou_x'
    out.push(
      await push.messageReceive({
        message: { messageId: `om_${stamp}_${i}`, chatId: `oc_${stamp}_${i % 97}`, chatType: 'p2p' },
        text: i % 2 ? '帮助' : '我是谁',
        sender: { openId: sender },
      }),
    )
  }
  return out
}

export async function runPhase(phase: LoadPhase): Promise<LoadResult> {
  const count = phase.ratePerSec
    ? Math.min(phase.maxRequests, Math.ceil((phase.ratePerSec * phase.durationMs) / 1000))
    : phase.maxRequests
  const pushes = await buildPushes(phase, count)
  const target = new URL(phase.url)
  const agent = new Agent({
    keepAlive: true,
    maxSockets: phase.connections,
    maxFreeSockets: phase.connections,
  })
  const latencies: number[] = []
  let errors = 0
  let non200 = 0
  let sent = 0
  const once = (p: FeishuPush, scheduledAt: number) =>
    new Promise<void>((resolve) => {
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          agent,
          headers: { ...p.headers, 'content-length': Buffer.byteLength(p.body) },
        },
        (res) => {
          res.resume()
          res.on('end', () => {
            if (res.statusCode !== 200) non200++
            latencies.push(performance.now() - scheduledAt)
            resolve()
          })
        },
      )
      req.on('error', () => {
        errors++
        resolve()
      })
      req.end(p.body)
    })

  const started = performance.now()
  const deadline = started + phase.durationMs
  if (!phase.ratePerSec) {
    const worker = async () => {
      while (sent < pushes.length && performance.now() < deadline) {
        const p = pushes[sent++]
        if (p) await once(p, performance.now())
      }
    }
    await Promise.all(Array.from({ length: phase.connections }, worker))
  } else {
    const interval = 1000 / phase.ratePerSec
    const inflight: Array<Promise<void>> = []
    while (sent < pushes.length && performance.now() < deadline) {
      const due = started + sent * interval
      const now = performance.now()
      if (due > now) await new Promise((r) => setTimeout(r, Math.max(0, due - now - 0.5)))
      // Send everything that is due (timers are coarser than the interval).
      while (sent < pushes.length && started + sent * interval <= performance.now()) {
        const p = pushes[sent]
        const scheduled = started + sent * interval
        sent++
        if (p) inflight.push(once(p, scheduled))
      }
    }
    await Promise.all(inflight)
  }
  const elapsedMs = performance.now() - started
  agent.destroy()
  return {
    requests: latencies.length,
    errors,
    non200,
    elapsedMs,
    rps: (latencies.length / elapsedMs) * 1000,
    latenciesMs: latencies,
  }
}

// Child-process protocol: receive one phase, answer with its result.
if (process.send) {
  process.on('message', (msg: { phase: LoadPhase }) => {
    void runPhase(msg.phase).then((r) => process.send?.({ result: r }))
  })
  process.send({ ready: true })
}
