#!/usr/bin/env node
/**
 * Rewrites named imports after exports moved between modules, so a branch written against the old layout
 * compiles against the new one. Usage:
 *
 *   node scripts/move-exports.mjs scripts/moves/<step>.json [files or folders…]   (default: bot db jobs tests miniapp/scripts)
 *
 * A moves file maps an old module (repo-relative, without extension) to where each of its names went:
 *   { "bot/platforms/types": { "*": "bot/chat/model", "Locale": "bot/domain/locale" } }
 * "*" is the default for names not listed; a name mapped to the old module itself stays. Module renames
 * (a whole file moved) are { "old/path": { "*": "new/path" } }. Only `import … from` and `export … from`
 * lines with named bindings are rewritten; run `npx biome check --write` afterwards to sort them.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

const root = resolve(dirname(new URL(import.meta.url).pathname), '..')
const [movesFile, ...targets] = process.argv.slice(2)
if (!movesFile) {
  console.error('usage: node scripts/move-exports.mjs <moves.json> [paths…]')
  process.exit(2)
}
const moves = JSON.parse(readFileSync(movesFile, 'utf8'))
const roots = targets.length ? targets : ['bot', 'db', 'jobs', 'tests', 'miniapp/scripts']

function* walk(path) {
  const st = statSync(path, { throwIfNoEntry: false })
  if (!st) return
  if (st.isFile()) {
    if (/\.(ts|mts|vue)$/.test(path) && !path.endsWith('.d.ts')) yield path
    return
  }
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name.startsWith('.')) continue
    yield* walk(join(path, name))
  }
}

const stripExt = (p) => p.replace(/\.(ts|js|mjs)$/, '').replace(/\/index$/, '')
const specifierFor = (fromFile, toModule) => {
  let rel = relative(dirname(fromFile), join(root, toModule))
  if (!rel.startsWith('.')) rel = `./${rel}`
  return rel
}

const IMPORT = /(import|export)(\s+type)?\s*\{([^}]*)\}\s*from\s*'([^']+)'/g
let changedFiles = 0
for (const start of roots) {
  for (const file of walk(resolve(root, start))) {
    const text = readFileSync(file, 'utf8')
    const next = text.replace(IMPORT, (whole, kw, typeAll, names, spec) => {
      if (!spec.startsWith('.')) return whole
      const target = stripExt(relative(root, resolve(dirname(file), spec)))
      const map = moves[target]
      if (!map) return whole
      const groups = new Map()
      for (const raw of names.split(',')) {
        const item = raw.trim()
        if (!item) continue
        const m = /^(type\s+)?([A-Za-z_$][\w$]*)(\s+as\s+[\w$]+)?$/.exec(item)
        if (!m) return whole
        const dest = map[m[2]] ?? map['*'] ?? target
        if (!groups.has(dest)) groups.set(dest, [])
        groups.get(dest).push(item)
      }
      return [...groups]
        .map(([dest, items]) => {
          const s = dest === target ? spec : specifierFor(file, dest)
          return `${kw}${typeAll ?? ''} { ${items.join(', ')} } from '${s}'`
        })
        .join('\n')
    })
    if (next !== text) {
      writeFileSync(file, next)
      changedFiles++
    }
  }
}
console.log(`${changedFiles} files rewritten`)
