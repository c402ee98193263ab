import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signPayload, verifyPayload } from '../../bot/lib/signed-call'
import type { Database } from '../../db/client'
import { testApp } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'

let database: Database
beforeAll(async () => {
  database = await openTestDatabase()
})
afterAll(async () => database?.close())

describe('defence in depth', () => {
  it('answers 404 to a devchat login code where devchat is off', async () => {
    const { app } = testApp(database, { env: { DEVCHAT: 'off' } })
    const res = await app.request('/api/v1/auth/devchat', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'v1.anything.sig' }),
    })
    expect(res.status).toBe(404)
  })

  it('tries at most two signature candidates from the external signature header', async () => {
    const good = await signPayload('fcs_secret', '1', 'nonce', '{}')
    const junk = Array.from({ length: 5 }, () => `v1=${'0'.repeat(64)}`)
    expect(await verifyPayload(['fcs_secret'], [junk[0], good].join(','), '1', 'nonce', '{}')).toBe(true)
    expect(await verifyPayload(['fcs_secret'], [...junk, good].join(','), '1', 'nonce', '{}')).toBe(false)
  })
})
