import { PGlite } from '@electric-sql/pglite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FastQueries } from './pglite-fast-query'

let client: PGlite
let fast: FastQueries
beforeAll(async () => {
  client = await PGlite.create('memory://')
  fast = new FastQueries(client)
  await client.exec(`create table t (id int primary key, name text, at timestamptz, doc jsonb, tags text[],
    amount numeric(12,2), ok boolean, raw bytea)`)
}, 60_000) // opening PGlite takes seconds when other tests share the cores
afterAll(async () => client.close())

describe('FastQueries (named statements, one call each)', () => {
  it('serializes parameters and parses rows exactly as PGlite.query does', async () => {
    const params = [
      1,
      '张伟',
      new Date('2026-01-02T03:04:05.678Z'),
      { a: [1, 2], b: '文' },
      ['x', 'y,z'],
      '1234.50',
      true,
      new Uint8Array([0, 255]),
    ]
    const insert = 'insert into t values ($1, $2, $3, $4, $5, $6, $7, $8) returning *'
    const viaFast = await fast.query(insert, params)
    await client.query('delete from t')
    const viaPglite = await client.query(insert, params)
    expect(viaFast.rows).toEqual(viaPglite.rows)
    expect(viaFast.fields).toEqual(viaPglite.fields)
    expect(viaFast.affectedRows).toBe(1)
    for (const rowMode of ['array', 'object'] as const) {
      const q = 'select * from t where id = $1 and name = $2'
      expect((await fast.query(q, [1, '张伟'], { rowMode })).rows).toEqual(
        (await client.query(q, [1, '张伟'], { rowMode })).rows,
      )
    }
    expect((await fast.query('select $1::int as n, $2::text as s', [null, undefined])).rows).toEqual([
      { n: null, s: null },
    ])
  })

  it('answers whole results as PGlite.query does, with per-call parsers (as drizzle passes them) and without', async () => {
    await client.query(
      "insert into t (id, name, at, tags, amount) values (10, $1, '2026-03-04 05:06:07.89+00', $2, 7)",
      ['a', ['p']],
    )
    // drizzle's table: the date-time types left as text.
    const drizzleLike = {
      parsers: { 1184: (v: string) => v, 1114: (v: string) => v, 1185: (v: string) => v },
    }
    const statements: Array<[string, unknown[]]> = [
      ['select id, name, at, tags, amount, ok from t where id = $1', [10]],
      ['select $1::int as x, $2::text as x', [1, 'dup']],
      ['select $1::text as "__proto__", 2 as n', ['p']],
      ["select array['2026-03-04 05:06:07+08', null]::timestamptz[] as ats, $1::int[] as ns", [[1, 2]]],
      ['update t set name = $1 where id = $2', ['b', 10]],
      ['update t set name = $1 where id = $2', ['b', -1]],
      ['delete from t where id = $1 returning id', [-1]],
      ['select 1 as n where $1', [false]],
    ]
    try {
      for (const [text, params] of statements)
        for (const options of [
          undefined,
          { rowMode: 'array' as const },
          drizzleLike,
          { ...drizzleLike, rowMode: 'array' as const },
        ]) {
          const viaFast = await fast.query(text, params, options)
          const viaPglite = await client.query(text, params, options)
          expect(viaFast, `${text} ${JSON.stringify(options)}`).toStrictEqual(viaPglite)
        }
    } finally {
      await client.query('delete from t where id = 10')
    }
  })

  it('raises the database error with its code and stays usable, in and out of a transaction', async () => {
    await expect(fast.query('insert into t (id) values ($1)', [1])).rejects.toMatchObject({ code: '23505' })
    await expect(
      client.transaction(async () => {
        await fast.query('insert into t (id) values ($1)', [2])
        await fast.query('insert into t (id) values ($1)', [1])
      }),
    ).rejects.toMatchObject({ code: '23505' })
    expect((await fast.query('select count(*)::int as n from t')).rows).toEqual([{ n: 1 }])
  })

  it('prepares a statement afresh after a migration changed what it reads', async () => {
    const q = 'select * from t where id = $1'
    expect(Object.keys((await fast.query<object>(q, [1])).rows[0] ?? {})).not.toContain('extra')
    await client.exec('alter table t add column extra text')
    // The first run after the change may fail (the backend's plan is stale); the next one reads the new shape.
    const again = await fast.query<object>(q, [1]).catch(() => fast.query<object>(q, [1]))
    expect(Object.keys(again.rows[0] ?? {})).toContain('extra')
  })
})
