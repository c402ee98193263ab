import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { brotliCompress, constants as zlib, gzip } from 'node:zlib'
import vue from '@vitejs/plugin-vue'
import { defineConfig, type Plugin } from 'vite'

const root = fileURLToPath(new URL('.', import.meta.url))

/**
 * Compile-time flags for Vue and vue-i18n. Leaving them undefined keeps the Options API, the legacy
 * i18n API and devtools hooks in the bundle (about 25 KB gzipped) and prints warnings. The message
 * compiler is dropped too: `src/i18n/compile.ts` replaces it.
 */
export const featureFlags = {
  __VUE_OPTIONS_API__: 'false',
  __VUE_PROD_DEVTOOLS__: 'false',
  __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
  __VUE_I18N_FULL_INSTALL__: 'false',
  __VUE_I18N_LEGACY_API__: 'false',
  __INTLIFY_PROD_DEVTOOLS__: 'false',
  __INTLIFY_DROP_MESSAGE_COMPILER__: 'true',
} as const

/** The bot, which serves `/api` in development (`npm run dev` at the repository root). */
const apiTarget = process.env.FLOWCARD_API_TARGET ?? 'http://127.0.0.1:3000'

/**
 * Webviews the app must run in. DingTalk on Android has shipped a Chromium 69 kernel, and iOS
 * clients use the system WKWebView; syntax newer than that is lowered at build time.
 */
const browserTargets = ['chrome69', 'safari13']

const brotli = promisify(brotliCompress)
const gzipped = promisify(gzip)
/** Text assets worth compressing; index.html is left out (the bot rewrites it per request). */
const COMPRESSIBLE = /\.(?:js|css|svg|json|txt)$/
/** Below about one TCP packet compression saves nothing measurable. */
const MIN_COMPRESS_BYTES = 1024

/** A remote `url(...) format(...)` fallback in a `@font-face` source list (Vant's icon font lists its CDN copy). */
const REMOTE_FONT_FALLBACK = /,\s*url\((?:https?:)?\/\/[^)]*\)\s*format\([^)]*\)/g

/**
 * Drops remote font fallbacks from the built CSS: Vant's icon font is inline (a woff2 data URL), with its
 * `at.alicdn.com` copy listed after it, which the app's CSP (`font-src 'self' data:`) refuses — a console error
 * and a blocked request on every start, for a copy never needed (and no third-party request from a company's app).
 */
export function dropRemoteFontFallbacks(): Plugin {
  return {
    name: 'flowcard:drop-remote-font-fallbacks',
    apply: 'build',
    generateBundle(_options, bundle) {
      for (const file of Object.values(bundle))
        if (file.type === 'asset' && file.fileName.endsWith('.css') && typeof file.source === 'string')
          file.source = file.source.replace(REMOTE_FONT_FALLBACK, '')
    },
  }
}

/**
 * Writes `x.js.br` (Brotli, quality 11) and `x.js.gz` (gzip -9) beside every text asset, once at build
 * time, so the bot's static serving (`precompressed: true`) sends them with no per-request CPU. A variant
 * that is not smaller than the original is not written. node:zlib does both formats, so no plugin package.
 */
export function precompressAssets(): Plugin {
  return {
    name: 'flowcard:precompress',
    apply: 'build',
    async writeBundle(options, bundle) {
      const dir = options.dir
      if (!dir) return
      const files = Object.keys(bundle).filter((file) => COMPRESSIBLE.test(file))
      await Promise.all(
        files.map(async (file) => {
          const path = join(dir, file)
          const data = await readFile(path)
          if (data.length < MIN_COMPRESS_BYTES) return
          const [br, gz] = await Promise.all([
            brotli(data, {
              params: {
                [zlib.BROTLI_PARAM_QUALITY]: zlib.BROTLI_MAX_QUALITY,
                [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
                [zlib.BROTLI_PARAM_SIZE_HINT]: data.length,
              },
            }),
            gzipped(data, { level: 9 }),
          ])
          if (br.length < data.length) await writeFile(`${path}.br`, br)
          if (gz.length < data.length) await writeFile(`${path}.gz`, gz)
        }),
      )
      // Cloudflare Workers static assets compress on their own: keep the twins out of the upload.
      await writeFile(join(dir, '.assetsignore'), '*.br\n*.gz\n')
    },
  }
}

const base = '/app/'

export default defineConfig({
  root,
  // The bot serves the built app at /app/ and answers every unknown /app/* path with index.html.
  base,
  plugins: [vue(), dropRemoteFontFallbacks(), precompressAssets()],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  define: featureFlags,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: browserTargets,
    cssTarget: browserTargets,
    sourcemap: false,
    reportCompressedSize: false,
    rolldownOptions: {
      output: {
        codeSplitting: {
          // Everything the entry imports statically (its `$initial` dependency chain) in one chunk beside the
          // entry: left to automatic splitting it came as 17 files, and over HTTP/1.1's six connections to a
          // host they held every socket while the login exchange index.html starts waited behind them.
          // Lazy pages still import from it; nothing only a lazy page needs is pulled in.
          groups: [{ name: 'initial', tags: ['$initial'] }],
        },
      },
    },
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    strictPort: false,
    proxy: { '/api': { target: apiTarget, changeOrigin: false } },
  },
  preview: {
    host: '127.0.0.1',
    port: 4173,
    proxy: { '/api': { target: apiTarget, changeOrigin: false } },
  },
})
