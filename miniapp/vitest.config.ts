import { fileURLToPath } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineProject } from 'vitest/config'
import { featureFlags } from './vite.config.ts'

/**
 * The mini-app's test project. `root` is pinned to this folder so the same file works with
 * `npx vitest run --config miniapp/vitest.config.ts` from the repository root, from inside
 * `miniapp/`, and as an entry of the root config's `test.projects`.
 */
export default defineProject({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [vue()],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  define: featureFlags,
  test: {
    name: 'miniapp',
    environment: 'happy-dom',
    include: ['src/**/*.test.ts'],
    restoreMocks: true,
    setupFiles: ['src/testing/setup.ts'],
    unstubGlobals: true,
    // Vant's ES build imports its own .css files; let Vite transform it instead of Node.
    server: { deps: { inline: ['vant'] } },
  },
})
