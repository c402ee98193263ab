import { Redis } from 'ioredis'
import postgres from 'postgres'
import type { TestProject } from 'vitest/node'
import { migrateDatabase, openDatabase } from '../../db/client'

const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const CI = process.env.CI === 'true'

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string
    redisUrl: string
  }
}

const banner = (lines: string[]) => {
  const bar = '!'.repeat(78)
  process.stderr.write(`\n${bar}\n${lines.map((l) => `!! ${l}`).join('\n')}\n${bar}\n\n`)
}

/**
 * One fresh PostgreSQL database per run, built from the committed migrations (UTF-8, C.UTF-8 collation so
 * pg_trgm handles Chinese). With CI=true a missing PostgreSQL or Redis fails the run; elsewhere database
 * tests fall back to PGlite and Redis tests are skipped, each said loudly.
 */
export default async function setup(project: TestProject) {
  let databaseUrl = ''
  let dropDatabase: (() => Promise<void>) | null = null
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {}, connect_timeout: 3 })
  try {
    await admin`select 1`
    const name = `flowcard_test_${Date.now()}_${process.pid}`
    await admin.unsafe(
      `create database ${name} template template0 encoding 'UTF8' lc_collate 'C.UTF-8' lc_ctype 'C.UTF-8'`,
    )
    const url = new URL(ADMIN_URL)
    url.pathname = `/${name}`
    databaseUrl = url.toString()
    const database = await openDatabase({ url: databaseUrl, max: 1 })
    await migrateDatabase(database)
    await database.close()
    dropDatabase = async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`)
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

  project.provide('databaseUrl', databaseUrl)
  project.provide('redisUrl', redisUrl)
  return async () => {
    await dropDatabase?.()
  }
}
