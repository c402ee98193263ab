/**
 * Compiles the Node entries (`bot/entry/node.ts`, `jobs/worker.ts`) to plain JavaScript at install time, so
 * `npm start` does not spend seconds of CPU transpiling TypeScript on every start (the startup target is
 * 2.5 s from spawn to `/readyz` on the embedded database). Packages stay external (loaded from
 * node_modules as usual); each source file keeps its own `import.meta.url`, so paths resolved from it
 * (migrations, the mini-app, the job child script) are the same as when run from source. The output and a
 * stamp of the sources go to `node_modules/.cache/flowcard/server/`; `bot/entry/start.mjs` uses them only
 * while the stamp matches, else it runs the sources through tsx. Without esbuild (a production install
 * without dev dependencies) nothing is built and `npm start` runs the sources.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { BUNDLE_DIR, ROOT, sourceStamp } from './bundle-stamp.mjs'

type Esbuild = typeof import('esbuild')
let esbuild: Esbuild
try {
  esbuild = await import('esbuild')
} catch {
  process.stdout.write('bundle: esbuild is not installed; npm start will run the TypeScript sources\n')
  process.exit(0)
}

const started = performance.now()
await esbuild.build({
  absWorkingDir: ROOT,
  entryPoints: { node: 'bot/entry/node.ts', worker: 'jobs/worker.ts', prewarm: 'bot/entry/prewarm.ts' },
  outdir: BUNDLE_DIR,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  plugins: [
    {
      // Packages load from node_modules at run time, except JSON data, which is bundled (Node 20 needs an
      // import attribute on a JSON import that esbuild does not keep on an external one).
      name: 'packages-external',
      setup(build) {
        build.onResolve({ filter: /^[^./]/ }, (args) =>
          args.path.endsWith('.json') ? undefined : { path: args.path, external: true },
        )
      },
    },
    {
      name: 'own-import-meta-url',
      setup(build) {
        build.onLoad({ filter: /\.ts$/ }, async (args) => {
          if (args.path.includes('/node_modules/')) return undefined
          const text = await readFile(args.path, 'utf8')
          const url = JSON.stringify(pathToFileURL(args.path).href)
          return { contents: text.replaceAll('import.meta.url', url), loader: 'ts' }
        })
      },
    },
  ],
})
await writeFile(resolve(BUNDLE_DIR, 'stamp.json'), JSON.stringify({ stamp: await sourceStamp() }))
process.stdout.write(`bundle: server compiled in ${Math.round(performance.now() - started)} ms\n`)
