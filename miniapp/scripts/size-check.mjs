#!/usr/bin/env node
// Measures what the first screen must download before the app can start: index.html's entry script,
// every chunk it imports statically (transitively; lazy `import()` chunks are excluded), and the
// stylesheets index.html links. Sums their gzip -9 sizes and fails above the budget.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, posix, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const BUDGET_KB = Number(process.env.MINIAPP_INITIAL_BUDGET_KB ?? 120)
const BASE = '/app/'

const here = dirname(fileURLToPath(import.meta.url))
const dist = join(here, '..', 'dist')
const indexPath = join(dist, 'index.html')

if (!existsSync(indexPath)) {
  console.error(`size-check: ${relative(process.cwd(), indexPath)} is missing; run \`vite build\` first`)
  process.exit(1)
}

const html = readFileSync(indexPath, 'utf8')

/** `/app/assets/x.js` → `assets/x.js` (relative to dist). @param {string} url */
function toDistPath(url) {
  const path = url.split(/[?#]/)[0] ?? url
  if (path.startsWith(BASE)) return path.slice(BASE.length)
  return path.replace(/^\.?\//, '')
}

/** @param {string} tag @param {string} name */
function attr(tag, name) {
  const match = new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag)
  return match ? (match[2] ?? match[3] ?? match[4] ?? null) : null
}

const tags = html.match(/<(script|link)\b[^>]*>/gi) ?? []
/** @type {Set<string>} */
const entryScripts = new Set()
/** @type {Set<string>} */
const styles = new Set()
/** @type {Set<string>} */
const preloads = new Set()
for (const tag of tags) {
  if (/^<script/i.test(tag)) {
    const src = attr(tag, 'src')
    if (src && attr(tag, 'type') === 'module') entryScripts.add(toDistPath(src))
    continue
  }
  const rel = (attr(tag, 'rel') ?? '').toLowerCase()
  const href = attr(tag, 'href')
  if (!href || /^(https?:|data:)/.test(href)) continue
  if (rel === 'stylesheet') styles.add(toDistPath(href))
  if (rel === 'modulepreload') preloads.add(toDistPath(href))
}

if (entryScripts.size === 0) {
  console.error('size-check: no <script type="module" src> in dist/index.html')
  process.exit(1)
}

// Static `import … from "./x.js"`, `import "./x.js"` and `export … from "./x.js"`, but not `import("./x.js")`.
const STATIC_IMPORT = /(?:^|[;\n}])\s*(?:import|export)\s*(?:[\w$*{},\s]+?\s*from\s*)?["']([^"']+\.js)["']/g

/** @type {Set<string>} */
const scripts = new Set()
const queue = [...entryScripts]
while (queue.length > 0) {
  const file = queue.shift()
  if (!file || scripts.has(file)) continue
  scripts.add(file)
  const code = readFileSync(join(dist, file), 'utf8')
  for (const match of code.matchAll(STATIC_IMPORT)) {
    const spec = match[1]
    if (!spec?.startsWith('.')) continue
    queue.push(posix.normalize(posix.join(posix.dirname(file), spec)))
  }
}

const missingPreloads = [...preloads].filter((file) => !scripts.has(file))
for (const file of missingPreloads) scripts.add(file)

/** @param {string} file */
function measure(file) {
  const bytes = readFileSync(join(dist, file))
  return { file, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length }
}

const rows = [...[...scripts].map(measure), ...[...styles].map(measure)]
const kb = (/** @type {number} */ n) => (n / 1024).toFixed(1)
const total = rows.reduce((sum, row) => sum + row.gzip, 0)
const jsTotal = rows.filter((r) => r.file.endsWith('.js')).reduce((sum, r) => sum + r.gzip, 0)
const cssTotal = total - jsTotal

const width = Math.max(...rows.map((r) => r.file.length))
console.log('Initial route (entry + static imports + linked CSS), gzip -9:')
for (const row of rows.sort((a, b) => b.gzip - a.gzip)) {
  console.log(
    `  ${row.file.padEnd(width)}  ${kb(row.raw).padStart(7)} KB raw  ${kb(row.gzip).padStart(6)} KB gz`,
  )
}
console.log(
  `  JS ${kb(jsTotal)} KB + CSS ${kb(cssTotal)} KB = ${kb(total)} KB gzipped (budget ${BUDGET_KB} KB)`,
)

if (total > BUDGET_KB * 1024) {
  console.error(
    `size-check: FAIL, the initial route is ${kb(total)} KB gzipped, over the ${BUDGET_KB} KB budget`,
  )
  process.exit(1)
}
// No stylesheet may load from another host: the app's CSP (`font-src 'self' data:`, `img-src` …) refuses it
// (vite.config.ts drops Vant's CDN copy of its icon font).
const remote = readdirSync(join(dist, 'assets'))
  .filter((file) => file.endsWith('.css'))
  .filter((file) => /url\(\s*["']?(?:https?:)?\/\//.test(readFileSync(join(dist, 'assets', file), 'utf8')))
if (remote.length > 0) {
  console.error(`size-check: FAIL, stylesheets load from another host: ${remote.join(', ')}`)
  process.exit(1)
}
console.log('size-check: OK')
