import { builtinModules } from 'node:module'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')

/**
 * Bundles `bot/entry/worker.ts` the way wrangler does for a Worker: one ES module, packages resolved with the
 * `workerd`/`worker`/`browser` conditions and browser-first main fields (so postgres.js takes its
 * `cloudflare:sockets` build and pino its console build), `cloudflare:*` and Node built-ins left to the
 * runtime (`nodejs_compat`). Returns the file and the built-ins the bundle still imports.
 */
export async function bundleWorker(outDir: string): Promise<{ file: string; nodeImports: string[] }> {
  const file = resolve(outDir, 'worker.js')
  const result = await build({
    entryPoints: [resolve(repoRoot, 'bot/entry/worker.ts')],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    external: ['cloudflare:*', 'node:*', ...builtinModules],
    define: { 'process.env.NODE_ENV': '"production"' },
    outfile: file,
    metafile: true,
    logLevel: 'silent',
  })
  const nodeImports = new Set<string>()
  for (const input of Object.values(result.metafile.inputs))
    for (const imp of input.imports)
      if (imp.external && !imp.path.startsWith('cloudflare:')) nodeImports.add(imp.path)
  nodeImports.delete('<runtime>')
  return { file, nodeImports: [...nodeImports].sort() }
}
