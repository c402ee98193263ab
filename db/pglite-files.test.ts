import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { afterAll, describe, expect, it } from 'vitest'
import { trimWal } from './pglite-files'

/**
 * A template's WAL is trimmed to the segments its last checkpoint needs; PostgreSQL must still open it,
 * keep what it held, and write past the segment it starts in (creating the ones removed).
 */
const dir = mkdtempSync(join(tmpdir(), 'fc-trim-wal-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const segments = (dataDir: string) =>
  readdirSync(join(dataDir, 'pg_wal')).filter((n) => /^[0-9A-F]{24}$/.test(n))

describe('trimWal', () => {
  it('keeps only the checkpoint segment of a cleanly shut-down database, which then opens and grows', async () => {
    const dataDir = join(dir, 'db')
    let db = await PGlite.create(dataDir)
    await db.query('create table t (x text)')
    // Enough WAL to fill more than one 16 MB segment.
    await db.query(`insert into t select repeat('x', 1000) from generate_series(1, 20000)`)
    await db.close()
    const before = segments(dataDir)
    expect(before.length).toBeGreaterThan(1)

    expect(trimWal(dataDir)).toBe(before.length - 1)
    expect(segments(dataDir)).toHaveLength(1)

    db = await PGlite.create(dataDir)
    expect((await db.query<{ n: number }>('select count(*)::int as n from t')).rows[0]?.n).toBe(20000)
    await db.query(`insert into t select repeat('y', 1000) from generate_series(1, 20000)`)
    await db.close()
    db = await PGlite.create(dataDir)
    expect((await db.query<{ n: number }>('select count(*)::int as n from t')).rows[0]?.n).toBe(40000)
    await db.close()
  }, 120_000)

  it('leaves a database that was not shut down cleanly alone', async () => {
    const dataDir = join(dir, 'open')
    const db = await PGlite.create(dataDir)
    await db.query('create table t (x text)')
    const before = segments(dataDir)
    // Still open: pg_control says in production, and every segment may be needed for recovery.
    expect(trimWal(dataDir)).toBe(0)
    expect(segments(dataDir)).toEqual(before)
    await db.close()
  }, 120_000)
})
