import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { parseEnv } from '../../bot/env'
import { createS3Storage, s3ConfigFromEnv } from '../../bot/lib/storage/s3'
import type { Database } from '../../db/client'
import {
  FAKE_S3_ACCESS_KEY_ID,
  FAKE_S3_BUCKET,
  FAKE_S3_REGION,
  FAKE_S3_SECRET_ACCESS_KEY,
  type FakeS3,
  startFakeS3,
} from '../fakes/s3'
import { testApp } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'
import { bearer, type CrmTenant, crmTenant, ctxAs } from './crm-harness'

/**
 * Visit photos with the S3 driver configured from the environment, through the real app and a fake S3
 * that verifies every signature: upload, read back through the API in scope, refusals, and the store failing.
 */
let database: Database
let org: CrmTenant
let s3: FakeS3
let app: ReturnType<typeof testApp>['app']
let customerId: string

const s3Env = (over: Record<string, string> = {}) =>
  parseEnv({
    S3_ENDPOINT: s3.url,
    S3_BUCKET: FAKE_S3_BUCKET,
    S3_REGION: FAKE_S3_REGION,
    S3_ACCESS_KEY_ID: FAKE_S3_ACCESS_KEY_ID,
    S3_SECRET_ACCESS_KEY: FAKE_S3_SECRET_ACCESS_KEY,
    S3_FORCE_PATH_STYLE: 'true',
    ...over,
  })

const jpeg = new Uint8Array([
  0xff,
  0xd8,
  0xff,
  0xe0,
  ...Array.from({ length: 2048 }, (_, i) => i % 251),
  0xff,
  0xd9,
])

beforeAll(async () => {
  s3 = await startFakeS3()
  database = await openTestDatabase()
  org = await crmTenant(database)
  app = testApp(database, { storage: createS3Storage(s3ConfigFromEnv(s3Env())) }).app
  customerId = (
    await createCustomer({
      ctx: ctxAs(database, org, 'liuyang'),
      input: { name: '杭州西湖龙井茶业有限公司', districtCode: '330106', lat: 30.2741, lng: 120.1551 },
    })
  ).id
})
afterAll(async () => {
  await database.close()
  await s3.stop()
})

async function checkedInVisit(who = 'liuyang'): Promise<string> {
  const res = await app.request('/api/v1/crm/visits/check-in', {
    method: 'POST',
    headers: { ...(await bearer(org, who)), 'content-type': 'application/json' },
    body: JSON.stringify({
      customerId,
      clientKey: `dev-${Math.random().toString(36).slice(2)}`,
      checkedInAt: new Date().toISOString(),
      lat: 30.2741,
      lng: 120.1551,
    }),
  })
  expect(res.status).toBe(200)
  return ((await res.json()) as { visit: { id: string } }).visit.id
}

const upload = async (visitId: string, data: Uint8Array<ArrayBuffer>, type = 'image/jpeg', who = 'liuyang') =>
  app.request(`/api/v1/crm/visits/${visitId}/photos?name=${encodeURIComponent('门头.jpg')}`, {
    method: 'POST',
    headers: { ...(await bearer(org, who)), 'content-type': type },
    body: data,
  })

describe('visit photos on S3', () => {
  it('stores the upload in the bucket under the tenant and serves it back through the API', async () => {
    const visitId = await checkedInVisit()
    const before = s3.requests.length
    const res = await upload(visitId, jpeg)
    expect(res.status).toBe(200)
    const visit = (await res.json()) as { photos: Array<{ key: string; name: string; size: number }> }
    const photo = visit.photos[0]
    expect(photo).toMatchObject({ name: '门头.jpg', size: jpeg.byteLength, contentType: 'image/jpeg' })
    const key = photo?.key ?? ''
    expect(key.startsWith(`${org.tenantId}/visits/${visitId}/`)).toBe(true)
    const stored = s3.object(key)
    expect(stored?.contentType).toBe('image/jpeg')
    expect(Buffer.from(stored?.data ?? []).equals(Buffer.from(jpeg))).toBe(true)
    // Signed with the body's hash, accepted by the verifying fake.
    const put = s3.requests.slice(before).find((r) => r.method === 'PUT')
    expect(put).toMatchObject({ status: 200, presigned: false })
    expect(put?.payloadHash).toMatch(/^[0-9a-f]{64}$/)

    const name = key.split('/').pop() ?? ''
    const got = await app.request(`/api/v1/crm/visits/${visitId}/photos/${name}`, {
      headers: await bearer(org, 'liuyang'),
    })
    expect(got.status).toBe(200)
    expect(got.headers.get('content-type')).toBe('image/jpeg')
    expect(Buffer.from(await got.arrayBuffer()).equals(Buffer.from(jpeg))).toBe(true)

    // The team lead above sees it; a colleague with self scope and another department do not (404).
    const lead = await app.request(`/api/v1/crm/visits/${visitId}/photos/${name}`, {
      headers: await bearer(org, 'zhangwei'),
    })
    expect(lead.status).toBe(200)
    await lead.arrayBuffer()
    for (const who of ['chenjing', 'huangli']) {
      const denied = await app.request(`/api/v1/crm/visits/${visitId}/photos/${name}`, {
        headers: await bearer(org, who),
      })
      expect(denied.status).toBe(404)
    }
    // The signed link in the visit loads the image without a session (an <img src>), from S3.
    const url = (photo as { url?: string } | undefined)?.url ?? ''
    expect(url).toMatch(/^\/api\/v1\/crm\/files\/f1\.[^/]+\/pho_[a-z0-9]+\.jpg$/)
    const viaLink = await app.request(url)
    expect(viaLink.status).toBe(200)
    expect(viaLink.headers.get('cache-control')).toBe('private, max-age=3600')
    expect(Buffer.from(await viaLink.arrayBuffer()).equals(Buffer.from(jpeg))).toBe(true)
    const token = url.split('/')[5] ?? ''
    const tampered = await app.request(
      url.replace(
        token,
        token.replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A')),
      ),
    )
    expect(tampered.status).toBe(404)
    // The token covers this visit's folder only: another file name there is 404, no escape upwards.
    expect((await app.request(url.replace(/[^/]+$/, 'pho_other.jpg'))).status).toBe(404)
    expect((await app.request(url.replace(/[^/]+$/, '..%2F..%2Fx.jpg'))).status).toBe(400)
    const unknown = await app.request(`/api/v1/crm/visits/${visitId}/photos/pho_nope.jpg`, {
      headers: await bearer(org, 'liuyang'),
    })
    expect(unknown.status).toBe(404)
  })

  it('refuses bad photos with the field named and nothing sent to the store', async () => {
    const visitId = await checkedInVisit()
    const before = s3.requests.length
    const exe = await upload(visitId, new Uint8Array([0x4d, 0x5a]), 'application/x-msdownload')
    expect(exe.status).toBe(400)
    expect(((await exe.json()) as { error: { field: string } }).error.field).toBe('file')
    const empty = await upload(visitId, new Uint8Array(), 'image/png')
    expect(empty.status).toBe(400)
    const colleague = await upload(visitId, jpeg, 'image/jpeg', 'chenjing')
    expect(colleague.status).toBe(404)
    expect(s3.requests.length).toBe(before)
  })

  it('answers 503 and records nothing when the store refuses the credentials', async () => {
    const wrong = testApp(database, {
      storage: createS3Storage({
        ...s3ConfigFromEnv(s3Env({ S3_SECRET_ACCESS_KEY: 'leaked?' })),
        retries: 0,
      }),
    }).app
    const visitId = await checkedInVisit()
    const res = await wrong.request(`/api/v1/crm/visits/${visitId}/photos?name=a.jpg`, {
      method: 'POST',
      headers: { ...(await bearer(org, 'liuyang')), 'content-type': 'image/jpeg' },
      body: jpeg,
    })
    expect(res.status).toBe(503)
    const text = await res.text()
    expect(text).not.toContain('leaked?')
    expect(s3.requests.at(-1)).toMatchObject({ method: 'PUT', status: 403, code: 'SignatureDoesNotMatch' })
    const visit = await app.request(`/api/v1/crm/customers/${customerId}/visits`, {
      headers: await bearer(org, 'liuyang'),
    })
    const items = ((await visit.json()) as { items: Array<{ id: string; photos: unknown[] }> }).items
    expect(items.find((v) => v.id === visitId)?.photos).toEqual([])
  })

  it('the Node entry picks the S3 driver from the environment (and never logs the secret)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'flowcard-s3-entry-'))
    const child = spawn(process.execPath, ['--import', 'tsx', 'bot/entry/node.ts'], {
      env: {
        PATH: process.env.PATH,
        PORT: String(20_000 + Math.floor(Math.random() * 20_000)),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        SEED_DEMO: 'false',
        DEVCHAT: 'off',
        LOG_FORMAT: 'json',
        S3_ENDPOINT: s3.url,
        S3_BUCKET: FAKE_S3_BUCKET,
        S3_REGION: FAKE_S3_REGION,
        S3_ACCESS_KEY_ID: FAKE_S3_ACCESS_KEY_ID,
        S3_SECRET_ACCESS_KEY: FAKE_S3_SECRET_ACCESS_KEY,
        S3_FORCE_PATH_STYLE: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    try {
      const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no start line in time:\n${output}`)), 25_000)
        const onData = (chunk: Buffer) => {
          output += chunk.toString()
          for (const line of output.split('\n')) {
            if (!line.includes('flowcard is listening')) continue
            clearTimeout(timer)
            resolve(JSON.parse(line) as Record<string, unknown>)
          }
        }
        child.stdout.on('data', onData)
        child.stderr.on('data', onData)
        child.on('exit', (code) => reject(new Error(`exited ${code}:\n${output}`)))
      })
      expect(listening).toMatchObject({ storage: 's3' })
      expect(output).not.toContain(FAKE_S3_SECRET_ACCESS_KEY)
    } finally {
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('exit', resolve))
      await rm(dataDir, { recursive: true, force: true })
    }
  }, 40_000)

  it('validates the S3 variables as a group', () => {
    expect(() => parseEnv({ S3_ENDPOINT: s3.url })).toThrow(/S3_BUCKET: required because S3_ENDPOINT is set/)
    expect(() => s3Env({ S3_BUCKET: 'Bad_Bucket' })).toThrow(/S3_BUCKET: expected a bucket name/)
  })
})
