// `npm start`: the compiled server when it matches the sources (built by `npm install`, see bundle.ts),
// else the TypeScript sources through tsx (a checkout edited since install, or no esbuild).
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { BUNDLE_DIR, sourceStamp } from './bundle-stamp.mjs'

async function compiledIsCurrent() {
  try {
    const { stamp } = JSON.parse(await readFile(resolve(BUNDLE_DIR, 'stamp.json'), 'utf8'))
    return stamp === (await sourceStamp())
  } catch {
    return false
  }
}

if (process.env.FLOWCARD_FROM_SOURCE !== '1' && (await compiledIsCurrent())) {
  // The job children fork the compiled worker, not jobs/worker.ts (there is no TypeScript loader here).
  process.env.FLOWCARD_WORKER_SCRIPT = resolve(BUNDLE_DIR, 'worker.mjs')
  // The embedded database's file copy and WebAssembly compile begin first, on other threads.
  await import(pathToFileURL(resolve(BUNDLE_DIR, 'prewarm.mjs')).href)
  await import(pathToFileURL(resolve(BUNDLE_DIR, 'node.mjs')).href)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import('./prewarm.ts')
  await import('./node.ts')
}
