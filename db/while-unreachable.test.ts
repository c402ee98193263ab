import { describe, expect, it } from 'vitest'
import { whileUnreachable } from './client'

const closed = () => Object.assign(new Error('write CONNECTION_CLOSED'), { code: 'CONNECTION_CLOSED' })
const wrapped = () => Object.assign(new Error('Failed query'), { cause: closed() })

describe('whileUnreachable (a boot step when PostgreSQL restarts between two steps)', () => {
  it('repeats the work while the database cannot be reached, also behind a query error, then returns', async () => {
    let tries = 0
    const waits: unknown[] = []
    const result = await whileUnreachable(
      async () => {
        tries++
        if (tries === 1) throw closed()
        if (tries === 2) throw wrapped()
        return 'migrated'
      },
      { onWait: (e) => waits.push(e) },
    )
    expect(result).toBe('migrated')
    expect(tries).toBe(3)
    expect(waits).toHaveLength(1)
  })

  it('throws any other error at once', async () => {
    let tries = 0
    const missing = Object.assign(new Error('database "x" does not exist'), { code: '3D000' })
    await expect(
      whileUnreachable(async () => {
        tries++
        throw missing
      }),
    ).rejects.toBe(missing)
    expect(tries).toBe(1)
  })

  it('gives up after its time limit', async () => {
    let tries = 0
    await expect(
      whileUnreachable(
        async () => {
          tries++
          throw closed()
        },
        { timeoutMs: 0 },
      ),
    ).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' })
    expect(tries).toBeGreaterThanOrEqual(1)
  })
})
