import { execSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { Redis } from 'ioredis'
import postgres from 'postgres'
import type { TestProject } from 'vitest/node'
import { migrateDatabase, openDatabase } from '../../db/client'

const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const CI = process.env.CI === 'true'

declare module 'vitest' {
  export interface ProvidedContext {
    /** One database per test worker (`VITEST_POOL_ID` picks it; see tests/helpers/db.ts), empty without PostgreSQL. */
    databaseUrls: string[]
    /** A migrated database nobody connects to, to copy a test file's own database from quickly. */
    databaseTemplateUrl: string
    redisUrl: string
  }
}

/** How many test files run at once (vitest's maxWorkers, set in vitest.config.ts). */
const workerCount = (project: TestProject): number => {
  const n = Number(project.globalConfig.maxWorkers)
  return Number.isFinite(n) && n >= 1 ? Math.floor(n) : 1
}

const banner = (lines: string[]) => {
  const bar = '!'.repeat(78)
  process.stderr.write(`\n${bar}\n${lines.map((l) => `!! ${l}`).join('\n')}\n${bar}\n\n`)
}

/**
 * Fresh PostgreSQL databases per run, built from the committed migrations (UTF-8, C.UTF-8 collation so
 * pg_trgm handles Chinese): a migrated template, and one copy of it per test worker, so test files running
 * at the same time never share a database (relays and nightly scans read every tenant's rows). With CI=true a missing PostgreSQL or Redis fails the run; elsewhere database
 * tests fall back to PGlite and Redis tests are skipped, each said loudly.
 */
export default async function setup(project: TestProject) {
  // The browser tests serve the built mini-app; build it here, once, before test files run side by side.
  if (!existsSync(resolve(process.cwd(), 'miniapp/dist/index.html')))
    execSync('npx vite build', { cwd: resolve(process.cwd(), 'miniapp'), stdio: 'inherit' })
  const databaseUrls: string[] = []
  let databaseTemplateUrl = ''
  let dropDatabase: (() => Promise<void>) | null = null
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {}, connect_timeout: 3 })
  try {
    await admin`select 1`
    const name = `flowcard_test_${Date.now()}_${process.pid}`
    const urlOf = (db: string) => {
      const url = new URL(ADMIN_URL)
      url.pathname = `/${db}`
      return url.toString()
    }
    const template = `${name}_tpl`
    await admin.unsafe(
      `create database ${template} template template0 encoding 'UTF8' lc_collate 'C.UTF-8' lc_ctype 'C.UTF-8'`,
    )
    const database = await openDatabase({ url: urlOf(template), max: 1 })
    await migrateDatabase(database)
    await database.close()
    databaseTemplateUrl = urlOf(template)
    for (let i = 1; i <= workerCount(project); i++) {
      await admin.unsafe(`create database ${name}_w${i} template ${template}`)
      databaseUrls.push(urlOf(`${name}_w${i}`))
    }
    dropDatabase = async () => {
      const rows = await admin<{ datname: string }[]>`
        select datname from pg_database where datname like ${`${name}%`}`
      for (const { datname } of rows) await admin.unsafe(`drop database if exists ${datname} with (force)`)
      await admin.end({ timeout: 5 })
    }
  } catch (err) {
    await admin.end({ timeout: 1 }).catch(() => {})
    if (CI)
      throw new Error(
        `PostgreSQL is required when CI=true but is not reachable at ${ADMIN_URL}: ${String(err)}`,
      )
    banner([
      `PostgreSQL is not reachable at ${ADMIN_URL} (${String(err)}).`,
      'Database tests FALL BACK TO PGlite (in-memory). Start PostgreSQL to test for real.',
    ])
  }

  let redisUrl = ''
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000 })
  redis.on('error', () => {})
  try {
    await redis.connect()
    await redis.ping()
    redisUrl = REDIS_URL
  } catch (err) {
    if (CI)
      throw new Error(`Redis is required when CI=true but is not reachable at ${REDIS_URL}: ${String(err)}`)
    banner([`Redis is not reachable at ${REDIS_URL} (${String(err)}).`, 'Tests that need Redis are SKIPPED.'])
  } finally {
    redis.disconnect()
  }

  project.provide('databaseUrls', databaseUrls)
  project.provide('databaseTemplateUrl', databaseTemplateUrl)
  project.provide('redisUrl', redisUrl)
  return async () => {
    await dropDatabase?.()
  }
}
