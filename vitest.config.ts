import { configDefaults, defineConfig } from 'vitest/config'

/**
 * Test files run two at a time by default (vitest would run one at a time on a 2-core machine): most of
 * the suite waits on PostgreSQL, Redis, Chromium and child processes, not on the CPU. Each worker has a
 * database of its own (tests/setup/global.ts). FLOWCARD_TEST_WORKERS overrides it.
 */
const CHAOS_TEST = 'tests/integration/chaos.test.ts'

const workers = Math.max(1, Number(process.env.FLOWCARD_TEST_WORKERS ?? 2) || 2)

export default defineConfig({
  test: {
    maxWorkers: workers,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['bot/**/*.test.ts', 'db/**/*.test.ts', 'jobs/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts', 'tests/fakes/**/*.test.ts', 'tests/e2e/**/*.test.ts'],
          exclude: [...configDefaults.exclude, CHAOS_TEST],
          environment: 'node',
          globalSetup: ['tests/setup/global.ts'],
          // Generous: three files share two cores, and a browser test on a busy machine is slow, not wrong.
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'workerd',
          include: ['tests/runtime/workerd/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['tests/setup/global.ts'],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
      {
        // Kills and restarts processes, PostgreSQL and Redis on a timetable: `npm test` runs it on its own,
        // after the other projects, so no other test file competes with it for the two cores.
        test: {
          name: 'chaos',
          include: [CHAOS_TEST],
          environment: 'node',
          globalSetup: ['tests/setup/global.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      'miniapp/vitest.config.ts',
    ],
  },
})
