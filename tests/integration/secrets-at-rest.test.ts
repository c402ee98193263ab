import { createHmac, randomBytes } from 'node:crypto'
import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEncryptionKeys, type SecretKeyring } from '../../bot/lib/secret-box'
import { signToken } from '../../bot/lib/session-token'
import type { Database } from '../../db/client'
import { openDatabase } from '../../db/client'
import { approvalExternalSystems, leadChannels } from '../../db/schema'
import { resealSecrets } from '../../jobs/reseal-secrets'
import { TEST_SESSION_SECRET, testApp } from '../helpers/app'
import { createOwnDatabase } from '../helpers/db'
import { type ApprovalsTenant, approvalsTenant, uid } from './approvals-harness'

/**
 * Secrets flowcard keeps for other systems are stored sealed (AES-256-GCM, key id per value) with the keys
 * of ENCRYPTION_KEYS: a new key seals while old ones still open, the reseal (boot and
 * `npm run secrets:reseal`) moves every value to the current key and seals rows stored before encryption.
 * Each step is checked through the signed external API, which must keep verifying calls.
 */
const K1 = 'k1:2n3oqUjzB1cAvT0mRtIr0rP4lGkQ3d3KfP1jv4Z8S9w='
const K2 = 'k2:Vb3H1c0x9m6yQ8zR5tWkL2pN4sD7fG0jA1eU3iO5rY8='

let database: Database
let org: ApprovalsTenant
let app: ReturnType<typeof testApp>['app']

const ring = (keys: string): SecretKeyring => {
  const r = parseEncryptionKeys(keys)
  if (typeof r === 'string') throw new Error(r)
  return r
}

/** An app whose process keyring is `keys` (the app installs it, as a process does at boot). */
const appWith = (keys: string) => {
  app = testApp(database, { env: { ENCRYPTION_KEYS: keys } }).app
}

// A database of its own: the reseal reads every tenant's secrets, and other test files of this worker leave
// theirs (sealed under their process keys) in the shared one.
let dropOwn: (() => Promise<void>) | undefined
beforeAll(async () => {
  const own = await createOwnDatabase('secrets')
  dropOwn = own.drop
  database = await openDatabase({ url: own.url, max: 5 })
  org = await approvalsTenant(database)
})
afterAll(async () => {
  await database?.close()
  await dropOwn?.()
})

async function asAdmin(method: string, path: string, body?: unknown) {
  const token = await signToken(TEST_SESSION_SECRET, {
    t: org.tenantId,
    u: uid(org, 'wangjianguo'),
    p: 'devchat',
    exp: Math.floor(Date.now() / 1000) + 600,
    k: 'session',
    j: `j-${Math.random()}`,
  })
  const res = await app.request(`/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  return { status: res.status, json: (await res.json()) as Record<string, unknown> }
}

/** A signed external call: 404 for an unknown request means the signature verified, 401 that it did not. */
async function externalStatus(systemId: string, secret: string): Promise<number> {
  const ts = String(Math.floor(Date.now() / 1000))
  const nonce = randomBytes(16).toString('hex')
  const res = await app.request('/api/v1/external/approvals/PO-none', {
    headers: {
      'x-flowcard-system': systemId,
      'x-flowcard-timestamp': ts,
      'x-flowcard-nonce': nonce,
      'x-flowcard-signature': `v1=${createHmac('sha256', secret).update(`${ts}.${nonce}.`).digest('hex')}`,
    },
  })
  return res.status
}

const stored = async (id: string) =>
  (
    await database.db
      .select({ secret: approvalExternalSystems.secret, previous: approvalExternalSystems.previousSecret })
      .from(approvalExternalSystems)
      .where(eq(approvalExternalSystems.id, id))
  )[0] as { secret: string; previous: string | null }

describe('secrets at rest', () => {
  let systemId = ''
  let first = ''

  it('stores a new system secret sealed under the current key, never in plaintext', async () => {
    appWith(K1)
    const made = await asAdmin('POST', '/approvals/external-systems', {
      name: 'ERP',
      webhookUrl: 'https://erp.example.com/hook',
    })
    expect(made.status).toBe(201)
    systemId = (made.json.system as { id: string }).id
    first = made.json.secret as string
    const row = await stored(systemId)
    expect(row.secret.startsWith('fc1.k1.')).toBe(true)
    expect(row.secret).not.toContain(first)
    expect(row.secret).not.toContain(first.slice(4, 20))
    // Admins still see the hint, read without the key.
    expect((made.json.system as { secretHint: string }).secretHint).toBe(`fcs_…${first.slice(-4)}`)
    const list = await asAdmin('GET', '/approvals/external-systems')
    expect(JSON.stringify(list.json)).toContain(`fcs_…${first.slice(-4)}`)
    expect(await externalStatus(systemId, first)).toBe(404)
    expect(await externalStatus(systemId, `${first}x`)).toBe(401)
  })

  it('rotates keys: the new key seals, the old one still opens, the reseal moves everything', async () => {
    appWith(`${K2},${K1}`)
    expect(await externalStatus(systemId, first)).toBe(404)
    const rotated = await asAdmin('POST', `/approvals/external-systems/${systemId}/rotate-secret`)
    expect(rotated.status).toBe(200)
    const second = rotated.json.secret as string
    let row = await stored(systemId)
    expect(row.secret.startsWith('fc1.k2.')).toBe(true)
    expect(row.previous?.startsWith('fc1.k1.')).toBe(true)
    // Both verify: the new secret, and the previous one during its grace period.
    expect(await externalStatus(systemId, second)).toBe(404)
    expect(await externalStatus(systemId, first)).toBe(404)

    const report = await resealSecrets(database, ring(`${K2},${K1}`))
    expect(report.rekeyed).toBeGreaterThanOrEqual(1)
    expect(report.unreadable).toEqual({})
    row = await stored(systemId)
    expect(row.previous?.startsWith('fc1.k2.')).toBe(true)
    // Again: nothing left to do.
    expect(await resealSecrets(database, ring(`${K2},${K1}`))).toEqual({
      sealed: 0,
      rekeyed: 0,
      unreadable: {},
    })

    // The old key can go now.
    appWith(K2)
    expect(await externalStatus(systemId, second)).toBe(404)
    expect(await externalStatus(systemId, first)).toBe(404)
  })

  it('seals rows stored before encryption and leaves values under an unknown key alone, reporting them', async () => {
    const legacy = `fcs_${randomBytes(32).toString('base64url')}`
    const legacyId = `exs_legacy${randomBytes(3).toString('hex')}`
    await database.db.insert(approvalExternalSystems).values({
      id: legacyId,
      tenantId: org.tenantId,
      name: `legacy-${legacyId}`,
      webhookUrl: 'https://erp.example.com/legacy',
      secret: legacy,
      createdBy: uid(org, 'wangjianguo'),
    })
    const lost = `fc1.gone.${'A'.repeat(6)}.${'B'.repeat(16)}.${'C'.repeat(40)}`
    const lostId = `exs_lost${randomBytes(3).toString('hex')}`
    await database.db.insert(approvalExternalSystems).values({
      id: lostId,
      tenantId: org.tenantId,
      name: `lost-${lostId}`,
      webhookUrl: 'https://erp.example.com/lost',
      secret: lost,
      createdBy: uid(org, 'wangjianguo'),
    })
    const channelId = `lch_legacy${randomBytes(3).toString('hex')}`
    const channelSecret = `fcs_${randomBytes(32).toString('base64url')}`
    await database.db.insert(leadChannels).values({
      id: channelId,
      tenantId: org.tenantId,
      name: `legacy-${channelId}`,
      intakeKey: `ik_${randomBytes(8).toString('hex')}`,
      secret: channelSecret,
    })
    // Plaintext still verifies until the reseal (it runs at boot, before any request).
    expect(await externalStatus(legacyId, legacy)).toBe(404)

    const report = await resealSecrets(database, ring(K2))
    expect(report.sealed).toBe(2)
    expect(report.unreadable).toEqual({ gone: 1 })
    const row = await stored(legacyId)
    expect(row.secret.startsWith('fc1.k2.')).toBe(true)
    expect(row.secret).not.toContain(legacy.slice(4))
    expect((await stored(lostId)).secret).toBe(lost)
    const [channel] = await database.db
      .select({ secret: leadChannels.secret })
      .from(leadChannels)
      .where(eq(leadChannels.id, channelId))
    expect(channel?.secret?.startsWith('fc1.k2.')).toBe(true)
    expect(await externalStatus(legacyId, legacy)).toBe(404)

    // No plaintext secret is left anywhere but in the unreadable row.
    const plain = await database.rows<{ n: number }>(
      sql`select count(*)::int as n from approval_external_systems where secret not like 'fc1.%'`,
    )
    expect(plain[0]?.n).toBe(0)
  })

  it('does not open a value moved to another kind of column or tampered with', async () => {
    const row = await stored(systemId)
    const { openSecret } = await import('../../bot/lib/secret-box')
    await expect(openSecret(row.secret, 'lead-channel', ring(K2))).rejects.toThrow(/does not authenticate/)
    const parts = row.secret.split('.')
    parts[2] = 'QUJDRA' // another hint
    await expect(openSecret(parts.join('.'), 'external-system', ring(K2))).rejects.toThrow(
      /does not authenticate/,
    )
    await expect(openSecret(row.secret, 'external-system', ring(K1))).rejects.toThrow(
      /ENCRYPTION_KEYS does not list/,
    )
  })
})
