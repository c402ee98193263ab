import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { afterAll, describe, expect, it } from 'vitest'
import { pgliteTemplatePath, removeStaleTemplates, templateDirOf, trimWal } from './pglite-files'

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

describe('removeStaleTemplates', () => {
  it('deletes the templates of other hashes and keeps the current bare and demo ones and anything else', () => {
    const cache = join(dir, 'cache')
    const current = (['bare', 'demo'] as const).map((k) => basename(pgliteTemplatePath(k)))
    const stale = [
      'pglite-0123456789abcdef.tar.gz',
      'pglite-0123456789abcdef.dir',
      'pglite-demo-fedcba9876543210.tar.gz',
      'pglite-demo-fedcba9876543210.tar.gz.json',
    ]
    const others = ['server', 'pglite-notes.txt']
    for (const n of [...current, ...current.map((f) => `${f}.json`), ...stale, ...others]) {
      if (n.endsWith('.dir') || n === 'server') mkdirSync(join(cache, n), { recursive: true })
      else {
        mkdirSync(cache, { recursive: true })
        writeFileSync(join(cache, n), 'x')
      }
    }
    for (const f of current) mkdirSync(join(cache, basename(templateDirOf(f))), { recursive: true })
    expect(removeStaleTemplates(cache).sort()).toEqual([...stale].sort())
    const left = readdirSync(cache)
    for (const n of stale) expect(left).not.toContain(n)
    for (const f of current) {
      expect(left).toContain(f)
      expect(left).toContain(basename(templateDirOf(f)))
    }
    for (const n of others) expect(left).toContain(n)
  })
})
