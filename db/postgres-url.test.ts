import { describe, expect, it } from 'vitest'
import { socketTarget } from './postgres'

describe('DATABASE_URL with a Unix socket directory (libpq style)', () => {
  it('takes the socket directory out of the URL, for the host option', () => {
    expect(socketTarget('postgres://postgres@/flowcard?host=/var/run/postgresql')).toEqual({
      url: 'postgres://postgres@localhost/flowcard',
      host: '/var/run/postgresql',
    })
    expect(socketTarget('postgresql:///flowcard?host=%2Ftmp&sslmode=disable')).toEqual({
      url: 'postgresql://localhost/flowcard?sslmode=disable',
      host: '/tmp',
    })
    expect(socketTarget('postgres://u:p@127.0.0.1:5433/db?host=/run/pg').host).toBe('/run/pg')
  })

  it('leaves a URL without one as it is', () => {
    for (const url of [
      'postgres://postgres@127.0.0.1:5432/flowcard',
      'postgres://postgres@db.example.com/flowcard?host=db2.example.com',
      'not a url',
    ])
      expect(socketTarget(url)).toEqual({ url, host: null })
  })
})
