import { describe, expect, it } from 'vitest'
import { databaseErrorOf } from './errors'
import { findUnsafeString } from './safe-strings'

describe('strings PostgreSQL cannot hold', () => {
  it('names the field of a NUL character or a lone surrogate, keys included', () => {
    expect(findUnsafeString({ a: [{ b: 'x\u0000' }] })).toEqual({
      field: 'a.0.b',
      reason: 'must not contain the NUL character',
    })
    expect(findUnsafeString({ name: 'ok\ud800' })?.field).toBe('name')
    expect(findUnsafeString({ name: '\udc00x' })?.field).toBe('name')
    expect(findUnsafeString({ 'k\u0000': 1 })?.field).toBe('k\u0000')
  })
  it('lets proper text through, emoji (surrogate pairs) included', () => {
    expect(findUnsafeString({ name: '中国银行 😀', n: 1, list: ['a', null] })).toBeNull()
  })
})

describe('database errors as answers', () => {
  it('maps data exceptions to 400, unique races to 409 and lost connections to 503, through wrappers', () => {
    const wrap = (cause: object) =>
      Object.assign(new Error('Failed query: select … params: secret'), { cause })
    expect(databaseErrorOf(wrap({ code: '22P05' }))).toMatchObject({ status: 400, code: 'invalid_input' })
    expect(databaseErrorOf(wrap({ code: '22009' }))).toMatchObject({ status: 400 })
    expect(databaseErrorOf(wrap({ code: '23505' }))).toMatchObject({ status: 409, code: 'conflict' })
    expect(databaseErrorOf(wrap({ code: 'ECONNREFUSED' }))).toMatchObject({ status: 503 })
    expect(databaseErrorOf(wrap({ code: '57P01' }))).toMatchObject({ status: 503 })
    expect(databaseErrorOf(wrap({ code: '42P01' }))).toBeNull()
    expect(databaseErrorOf(new Error('plain'))).toBeNull()
  })
})
