/**
 * Instructions per approval card tap in this process, counted by callgrind (`npx tsx tests/bench/tap-instructions.ts`;
 * needs valgrind; not in the `npm run bench` list, it takes minutes). Runs `_tap-cpu.ts` under
 * `valgrind --tool=callgrind` with V8's JIT off (`--jitless`: the count then does not depend on when code gets
 * optimised) and instrumentation on only around its tap loop and its bare-transaction loop. Instruction counts
 * do not depend on the machine's load, unlike CPU time. N (default 140) requests are started, the first 100
 * taps warm up, the rest are counted. KEEP_CG=1 keeps the dumps (the figures are their `totals:` over the taps).
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { benchLine } from './stats'

const dir = mkdtempSync(join(tmpdir(), 'tapcg-'))
const child = spawn(
  'valgrind',
  [
    '--tool=callgrind',
    '--instr-atstart=no',
    `--callgrind-out-file=${join(dir, 'cg.%p')}`,
    'node',
    '--jitless',
    '--import',
    'tsx',
    'tests/bench/_tap-cpu.ts',
  ],
  {
    env: { ...process.env, CG: '1', CG_DIR: dir, N: process.env.N ?? '140' },
    stdio: ['ignore', 'pipe', 'inherit'],
  },
)
const control = (...args: string[]) =>
  spawnSync('callgrind_control', [...args, String(child.pid)], { stdio: 'ignore' })
let out = ''
child.stdout.on('data', (chunk: Buffer) => {
  const text = chunk.toString()
  out += text
  for (const line of text.split('\n')) {
    const gate = /^CG-([\w-]+)/.exec(line)?.[1]
    if (!gate) continue
    if (gate.endsWith('go')) {
      control('-z')
      control('-i', 'on')
    } else {
      control('-i', 'off')
      control('-d')
    }
    writeFileSync(join(dir, `cg-${gate}`), '')
  }
})
const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
try {
  if (code !== 0) throw new Error(`_tap-cpu.ts under callgrind exited with ${code}:\n${out}`)
  const taps = Number(/taps=(\d+)/.exec(out)?.[1] ?? 0)
  // Dumps are numbered in order: .1 the taps, .2 the bare transactions.
  const totals = (part: number) => {
    const file = readdirSync(dir).find((f) => f.endsWith(`.${part}`))
    const text = file ? readFileSync(join(dir, file), 'utf8') : ''
    return Number(/^totals: (\d+)/m.exec(text)?.[1] ?? Number.NaN)
  }
  const tap = totals(1) / taps / 1e6
  const bare = totals(2) / taps / 1e6
  console.log(out.split('\n').find((l) => l.startsWith('taps=')))
  benchLine('approvals', 'tap_instructions', tap, 'M instr/tap', 'n/a', {
    value: bare,
    what: 'bare transaction (lock, insert, commit), node --jitless',
  })
} finally {
  if (process.env.KEEP_CG) console.log(`kept ${dir}`)
  else rmSync(dir, { recursive: true, force: true })
}
