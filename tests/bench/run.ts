/**
 * Runs named benches, each in its own process (a bench owns the machine while it runs):
 *   npm run bench -- webhook-ack startup      (names = files in tests/bench without .ts)
 *   npm run bench                             (lists them)
 * Arguments after `--args` go to every bench, e.g. `npm run bench -- webhook-ack --args 3 5`.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const helpers = new Set(['run', 'stats', 'bench-db', 'webhook-load', 'single-process-load', 'wrk'])
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .filter((n) => !helpers.has(n) && !n.startsWith('notices-'))
  .sort()

const argv = process.argv.slice(2)
const split = argv.indexOf('--args')
const names = split >= 0 ? argv.slice(0, split) : argv
const extra = split >= 0 ? argv.slice(split + 1) : []
if (names.length === 0) {
  console.log(`benches: ${available.join(', ')}\nusage: npm run bench -- <name...> [--args ...]`)
  process.exit(0)
}
let failed = 0
for (const name of names) {
  if (!available.includes(name)) {
    console.error(`unknown bench ${name} (have: ${available.join(', ')})`)
    failed++
    continue
  }
  console.log(`\n=== ${name} ===`)
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, `${name}.ts`), ...extra], {
    stdio: 'inherit',
  })
  if (r.status !== 0) failed++
}
process.exit(failed > 0 ? 1 : 0)
