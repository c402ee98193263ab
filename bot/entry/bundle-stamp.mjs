// Shared by the install-time bundler (bundle.ts) and the launcher (start.mjs): plain JavaScript, so the
// launcher needs no TypeScript loader to decide whether the compiled server is current.
import { readdir, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const BUNDLE_DIR = resolve(ROOT, 'node_modules/.cache/flowcard/server')
const SOURCE_DIRS = ['bot', 'db', 'jobs']

/** Newest modification time and count of the server's TypeScript sources: any edit changes it. */
export async function sourceStamp() {
  let newest = 0
  let count = 0
  const walk = async (dir) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') await walk(path)
      } else if (entry.name.endsWith('.ts') || entry.name.endsWith('.mjs') || entry.name.endsWith('.sql')) {
        count++
        newest = Math.max(newest, (await stat(path)).mtimeMs)
      }
    }
  }
  for (const d of SOURCE_DIRS) await walk(resolve(ROOT, d))
  return `${count}:${Math.floor(newest)}`
}
