/**
 * Launch-to-ready of `npm start` on defaults (embedded PGlite, in-process jobs): spawn the real entry with a
 * fresh DATA_DIR, poll /readyz, report the time to the first 200. Runs cold (first start: database created,
 * migrations applied, demo seeded) and warm (restart on existing data), several times each.
 * Baseline in the same script: a bare `node -e` process that opens an HTTP port (the floor of any Node
 * service start on this machine). Target: ≤ 2.5 s from spawn. Spawns what `npm start` runs (`bot/entry/start.mjs`: the server
 * compiled at install time; run `npm run build:server` first after editing sources, else it runs them through tsx).
 *   npx tsx tests/bench/startup.ts [runs]
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fmt, median, table } from './stats'

const runs = Number(process.argv[2] ?? 5)

async function timeToReady(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  url: string,
): Promise<number> {
  const started = performance.now()
  const child: ChildProcess = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: 'ignore' })
  const exited = new Promise((r) => child.once('exit', r))
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}`)
      try {
        const res = await fetch(url)
        if (res.status === 200) return performance.now() - started
      } catch {
        // not listening yet
      }
      if (performance.now() - started > 30_000) throw new Error(`${url} not ready after 30 s`)
      await new Promise((r) => setTimeout(r, 20))
    }
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM')
    await exited
  }
}

const port = 3900 + Math.floor(Math.random() * 50)
const results: Array<Record<string, string | number>> = []
const cold: number[] = []
const warm: number[] = []
const baseline: number[] = []
for (let i = 0; i < runs; i++) {
  const dataDir = mkdtempSync(join(tmpdir(), 'flowcard-start-'))
  const env = { PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn', DATABASE_URL: '', REDIS_URL: '' }
  cold.push(
    await timeToReady(process.execPath, ['bot/entry/start.mjs'], env, `http://127.0.0.1:${port}/readyz`),
  )
  warm.push(
    await timeToReady(process.execPath, ['bot/entry/start.mjs'], env, `http://127.0.0.1:${port}/readyz`),
  )
  rmSync(dataDir, { recursive: true, force: true })
  baseline.push(
    await timeToReady(
      process.execPath,
      ['-e', `require('http').createServer((q,s)=>s.end('ok')).listen(${port})`],
      {},
      `http://127.0.0.1:${port}/`,
    ),
  )
}
results.push({
  case: 'flowcard cold start (new DATA_DIR)',
  median_ms: fmt(median(cold), 0),
  max_ms: fmt(Math.max(...cold), 0),
})
results.push({
  case: 'flowcard warm start',
  median_ms: fmt(median(warm), 0),
  max_ms: fmt(Math.max(...warm), 0),
})
results.push({
  case: 'baseline: bare node http',
  median_ms: fmt(median(baseline), 0),
  max_ms: fmt(Math.max(...baseline), 0),
})
table(results)
console.log(
  `\nratio cold/baseline: ${fmt(median(cold) / median(baseline), 1)}x; target: cold median ≤ 2500 ms`,
)
console.log(`BENCH startup cold_ready_median ${fmt(median(cold), 0)} ms target 2500`)
console.log(`BENCH startup warm_ready_median ${fmt(median(warm), 0)} ms target 2500`)
