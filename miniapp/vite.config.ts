import { fileURLToPath } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

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

export default defineConfig({
  root,
  // The bot serves the built app at /app/ and answers every unknown /app/* path with index.html.
  base: '/app/',
  plugins: [vue()],
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
