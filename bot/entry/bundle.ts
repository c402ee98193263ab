/**
 * Compiles the Node entries (`bot/entry/node.ts`, `jobs/worker.ts`) to plain JavaScript at install time, so
 * `npm start` does not spend seconds of CPU transpiling TypeScript on every start (the startup target is
 * 2.5 s from spawn to `/readyz` on the embedded database). The plain-JavaScript packages every start loads
 * (`BUNDLED`: zod, Hono, drizzle, postgres.js and what ties them together) are compiled in, tree-shaken and
 * without Node resolving and linking their several hundred module files one by one; the others stay
 * external (loaded from node_modules as usual): ones that read files next to their own code (PGlite's
 * WebAssembly, pino's transports), native or optional ones, and ones loaded only when configured. Each
 * source file keeps its own `import.meta.url`, so paths resolved from it (migrations, the mini-app, the job
 * child script) are the same as when run from source. The output and a
 * stamp of the sources go to `node_modules/.cache/flowcard/server/`; `bot/entry/start.mjs` uses them only
 * while the stamp matches, else it runs the sources through tsx. Without esbuild (a production install
 * without dev dependencies) nothing is built and `npm start` runs the sources.
 */
import { readFile, rm, writeFile } from 'node:fs/promises'
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

/**
 * Packages compiled into the server. One group: a package that imports another of them gets the same
 * copy (zod schemas made here and read by the OpenAPI generator are one zod's).
 */
const BUNDLED = /^(zod|hono|@hono\/[^/]+|drizzle-orm|postgres|@asteasolutions\/zod-to-openapi)(\/|$)/

const started = performance.now()
// Chunk names change with their contents: the last build's would stay beside the new ones.
await rm(BUNDLE_DIR, { recursive: true, force: true })
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
  // The packages' ECMAScript modules where they ship both (tree-shaken, one zod for all of them).
  mainFields: ['module', 'main'],
  plugins: [
    {
      // Other packages load from node_modules at run time, except JSON data, which is bundled (Node 20 needs
      // an import attribute on a JSON import that esbuild does not keep on an external one).
      name: 'packages-external',
      setup(build) {
        build.onResolve({ filter: /^[^./]/ }, (args) =>
          args.path.endsWith('.json') || BUNDLED.test(args.path)
            ? undefined
            : { path: args.path, external: true },
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
