/**
 * Closed-loop load from `wrk` (C, Debian's package) instead of a Node client, so the load generator takes a
 * small share of the 2 cores the server also runs on. Every request is a distinct, pre-built Feishu push
 * (unique event and message ids, signed and encrypted), written into a Lua table that each wrk thread walks
 * with its own stride, so no push is sent twice while the table lasts.
 */
import { execFileSync, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import type { FeishuPush } from '../fakes/feishu/push'

export function wrkAvailable(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' })
    return true
  } catch (err) {
    // `wrk --version` exits 1 after printing its version; only a missing binary throws ENOENT.
    return (err as NodeJS.ErrnoException).code !== 'ENOENT'
  }
}

const longString = (s: string): string => {
  let eq = ''
  while (s.includes(`]${eq}]`)) eq += '='
  return `[${eq}[${s}]${eq}]`
}

/** Writes the Lua script for `pushes` to `file`. */
export function writeWrkScript(file: string, path: string, pushes: FeishuPush[], threads: number): void {
  // A Lua function holds at most 65,536 constants: the table is built by one function per chunk.
  const parts: string[] = ['local reqs = {}']
  const CHUNK = 2000
  for (let start = 0; start < pushes.length; start += CHUNK) {
    parts.push('do local function chunk() return {')
    for (const p of pushes.slice(start, start + CHUNK)) {
      const headers = Object.entries({ ...p.headers, 'content-type': 'application/json' })
        .map(([k, v]) => `[${JSON.stringify(k)}]=${JSON.stringify(v)}`)
        .join(',')
      parts.push(`{{${headers}},${longString(p.body)}},`)
    }
    parts.push('} end for _, r in ipairs(chunk()) do reqs[#reqs + 1] = r end end')
  }
  parts.push(`
local n = #reqs
local threads = ${threads}
local nextId = 0
function setup(thread)
  thread:set("tid", nextId)
  nextId = nextId + 1
end
local i = -1
function request()
  i = i + 1
  local r = reqs[((i * threads + tid) % n) + 1]
  return wrk.format("POST", ${JSON.stringify(path)}, r[1], r[2])
end
`)
  writeFileSync(file, parts.join('\n'))
}

export interface WrkResult {
  requests: number
  rps: number
  p50Ms: number
  p99Ms: number
  non2xx: number
  errors: number
}

const toMs = (v: string): number => {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v.trim())
  if (!m) return Number.NaN
  const n = Number(m[1])
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n
}

export function runWrk(opts: {
  url: string
  script: string
  connections: number
  threads: number
  seconds: number
}): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'wrk',
      [
        `-t${opts.threads}`,
        `-c${opts.connections}`,
        `-d${opts.seconds}s`,
        '--latency',
        '-s',
        opts.script,
        opts.url,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    let out = ''
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString()
    })
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited ${code}: ${out}`))
      const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? 0)
      const lat = (q: string) => toMs(new RegExp(`^\\s+${q}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '')
      const sockErr = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
      resolve({
        requests: num(/(\d+) requests in/),
        rps: num(/Requests\/sec:\s+([\d.]+)/),
        p50Ms: lat('50'),
        p99Ms: lat('99'),
        non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
        errors: sockErr ? sockErr.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
      })
    })
  })
}
