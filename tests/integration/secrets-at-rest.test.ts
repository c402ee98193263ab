import { createHmac, randomBytes } from 'node:crypto'
import { eq, sql } from 'drizzle-orm'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deliverWebhook } from '../../bot/domain/approvals/external/webhooks'
import { parseEncryptionKeys, type SecretKeyring, sealSecret } from '../../bot/lib/secret-box'
import { signToken } from '../../bot/lib/session-token'
import { newSecret, signPayload } from '../../bot/lib/signed-call'
import type { Database } from '../../db/client'
import { openDatabase } from '../../db/client'
import {
  approvalExternalSystems,
  approvalWebhookAttempts,
  approvalWebhookDeliveries,
  leadChannels,
} from '../../db/schema'
import { resealSecrets } from '../../jobs/reseal-secrets'
import { TEST_SESSION_SECRET, testApp } from '../helpers/app'
import { createOwnDatabase } from '../helpers/db'
import { type ApprovalsTenant, approvalsTenant, ctxAs, uid } from './approvals-harness'

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
  return (await externalCall(systemId, secret)).status
}

async function externalCall(systemId: string, secret: string): Promise<Response> {
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
  return res
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

describe('a stored secret under a key ENCRYPTION_KEYS no longer lists', () => {
  /** Error lines the app logged (JSON), to check the administrator is told once. */
  const logged: Array<{ msg: string; keyId?: string; reason?: string }> = []
  const appLogging = (keys: string) => {
    const logger = pino({ level: 'error' }, { write: (line: string) => logged.push(JSON.parse(line)) })
    app = testApp(database, { env: { ENCRYPTION_KEYS: keys }, logger }).app
  }
  const K3 = 'k3:Qm9vdHN0cmFwS2V5Rm9yVGhlU2VjcmV0VGVzdHMxMjM='
  const K4 = 'k4:U2Vjb25kS2V5Rm9yVGhlU2VjcmV0VGVzdHNYWVoxMjM='

  async function systemWith(secret: string, previous?: string) {
    const id = `exs_k${randomBytes(4).toString('hex')}`
    await database.db.insert(approvalExternalSystems).values({
      id,
      tenantId: org.tenantId,
      name: `keyed-${id}`,
      webhookUrl: 'https://erp.example.com/keyed',
      secret,
      ...(previous ? { previousSecret: previous, previousSecretUntil: new Date(Date.now() + 3600_000) } : {}),
      createdBy: uid(org, 'wangjianguo'),
    })
    return id
  }

  it('answers a signed external call 503 naming the missing key, and logs it once', async () => {
    const plain = newSecret()
    const id = await systemWith(await sealSecret(plain, 'external-system', ring(K3)))
    appLogging(K4)
    const first = await externalCall(id, plain)
    expect(first.status).toBe(503)
    const body = (await first.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('secret_key_missing')
    expect(body.error.message).toContain('"k3"')
    expect(body.error.message).toContain('ENCRYPTION_KEYS')
    expect(JSON.stringify(body)).not.toContain(plain.slice(4))
    // A wrong signature answers the same: the server cannot tell, and says why.
    expect(await externalStatus(id, `${plain}x`)).toBe(503)
    const told = logged.filter((l) => l.keyId === 'k3' && l.reason === 'key-missing')
    expect(told).toHaveLength(1)
    expect(told[0]?.msg).toMatch(/ENCRYPTION_KEYS does not list/)
    expect(logged.filter((l) => /unhandled/.test(l.msg))).toEqual([])

    // The key listed again (as an older key): the same call verifies.
    appLogging(`${K4},${K3}`)
    expect(await externalStatus(id, plain)).toBe(404)

    // The API document tells integrators about this answer on every signed route.
    const doc = (await (await app.request('/api/openapi.json')).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>>
    }
    const signed = Object.entries(doc.paths).filter(([path]) =>
      /^\/api\/v1\/(external\/|intake\/)/.test(path),
    )
    expect(signed.length).toBeGreaterThan(5)
    for (const [path, ops] of signed)
      for (const [method, op] of Object.entries(ops))
        expect(op.responses['503']?.description, `${method} ${path}`).toMatch(/secret_key_missing/)
  })

  it('still verifies with the current secret while the previous one is under a dropped key', async () => {
    const current = newSecret()
    const previous = newSecret()
    const id = await systemWith(
      await sealSecret(current, 'external-system', ring(K4)),
      await sealSecret(previous, 'external-system', ring(K3)),
    )
    appLogging(K4)
    expect(await externalStatus(id, current)).toBe(404)
    expect(await externalStatus(id, previous)).toBe(503)
  })

  it('answers 503 for a value that does not authenticate, and for a lead intake push alike', async () => {
    const plain = newSecret()
    // Sealed for the other kind of column: it does not open as an external system's secret.
    const id = await systemWith(await sealSecret(plain, 'lead-channel', ring(K4)))
    appLogging(K4)
    const res = await externalCall(id, plain)
    expect(res.status).toBe(503)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('secret_unreadable')

    const intakeKey = `ik_${randomBytes(8).toString('hex')}`
    const channelSecret = newSecret()
    await database.db.insert(leadChannels).values({
      id: `lch_k${randomBytes(4).toString('hex')}`,
      tenantId: org.tenantId,
      name: `keyed-${intakeKey}`,
      intakeKey,
      secret: await sealSecret(channelSecret, 'lead-channel', ring(K3)),
    })
    const body = JSON.stringify({ name: '密钥缺失测试', phone: '13800000000' })
    const ts = String(Math.floor(Date.now() / 1000))
    const nonce = randomBytes(16).toString('hex')
    const push = await app.request(`/api/v1/intake/${intakeKey}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-flowcard-timestamp': ts,
        'x-flowcard-nonce': nonce,
        'x-flowcard-signature': await signPayload(channelSecret, ts, nonce, body),
      },
      body,
    })
    expect(push.status).toBe(503)
    const refused = (await push.json()) as { error: { code: string; message: string } }
    expect(refused.error.code).toBe('secret_key_missing')
    expect(refused.error.message).toContain('"k3"')
  })

  it('records a webhook delivery it cannot sign as a failed attempt naming the key, and sends nothing', async () => {
    const id = await systemWith(await sealSecret(newSecret(), 'external-system', ring(K3)))
    appLogging(K4)
    const deliveryId = `awd_k${randomBytes(4).toString('hex')}`
    await database.db.insert(approvalWebhookDeliveries).values({
      id: deliveryId,
      tenantId: org.tenantId,
      systemId: id,
      instanceId: 'api_none',
      event: 'approval.finished',
      body: '{}',
    })
    const posted: string[] = []
    const outcome = await deliverWebhook({
      ctx: ctxAs(database, org, 'wangjianguo'),
      input: { deliveryId, attempt: 1 },
      post: async (r) => {
        posted.push(r.url)
        return { status: 200, text: '' }
      },
    })
    expect(outcome).toBe('retry')
    expect(posted).toEqual([])
    const [attempt] = await database.db
      .select()
      .from(approvalWebhookAttempts)
      .where(eq(approvalWebhookAttempts.deliveryId, deliveryId))
    expect(attempt?.error).toMatch(/^not sent: .*"k3".*ENCRYPTION_KEYS does not list/)
  })
})
