/**
 * Load child for tests/bench/single-process.ts: sends pre-built Feishu pushes (body + headers) to a URL,
 * open-loop at a fixed rate (latency from the scheduled send time, so queueing counts) or closed-loop over
 * `connections` keep-alive sockets. Runs in its own process so its CPU is not the server's event loop.
 */
import { Agent, request } from 'node:http'

export interface DriveJob {
  url: string
  pushes: Array<{ body: string; headers: Record<string, string> }>
  durationMs: number
  /** Open-loop rate; absent = closed loop over `connections`. */
  ratePerSec?: number
  connections: number
}

export interface DriveResult {
  requests: number
  errors: number
  non200: number
  elapsedMs: number
  rps: number
  latenciesMs: number[]
  /** When each answered request was due, in ms from the start (same order as `latenciesMs`). */
  dueMs: number[]
  /** The start on the machine's monotonic clock (µs, as CPU profiles and `process.hrtime` count). */
  startedMonoUs: number
}

export async function drive(job: DriveJob): Promise<DriveResult> {
  const target = new URL(job.url)
  const agent = new Agent({ keepAlive: true, maxSockets: job.connections, maxFreeSockets: job.connections })
  const latencies: number[] = []
  const dueAt: number[] = []
  let errors = 0
  let non200 = 0
  let sent = 0
  const started = performance.now()
  const startedMonoUs = Number(process.hrtime.bigint() / 1000n)
  const once = (p: DriveJob['pushes'][number], scheduledAt: number) =>
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
            dueAt.push(scheduledAt - started)
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
  const deadline = started + job.durationMs
  if (!job.ratePerSec) {
    const worker = async () => {
      while (sent < job.pushes.length && performance.now() < deadline) {
        const p = job.pushes[sent++]
        if (p) await once(p, performance.now())
      }
    }
    await Promise.all(Array.from({ length: job.connections }, worker))
  } else {
    const interval = 1000 / job.ratePerSec
    const inflight: Array<Promise<void>> = []
    while (sent < job.pushes.length && performance.now() < deadline) {
      const due = started + sent * interval
      const now = performance.now()
      if (due > now) await new Promise((r) => setTimeout(r, Math.max(0, due - now - 0.5)))
      while (sent < job.pushes.length && started + sent * interval <= performance.now()) {
        const p = job.pushes[sent]
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
    dueMs: dueAt,
    startedMonoUs,
  }
}

if (process.send) {
  process.on('message', (msg: { id: number; job: DriveJob }) => {
    void drive(msg.job).then((result) => process.send?.({ id: msg.id, result }))
  })
  process.send({ ready: true })
}
