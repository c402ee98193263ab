import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Readable } from 'node:stream'
import { sql } from 'drizzle-orm'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyDirectory } from '../../../bot/domain/org/apply-directory'
import { installDefaultRoles } from '../../../bot/domain/org/default-roles'
import { systemClock } from '../../../bot/lib/clock'
import { newId } from '../../../bot/lib/ids'
import { createLogger } from '../../../bot/lib/logger'
import { createFeishuPlatform } from '../../../bot/platforms/feishu/adapter'
import { MemoryRateLimiter } from '../../../bot/platforms/rate-limit'
import type { Database } from '../../../db/client'
import { tenants } from '../../../db/schema'
import { createFakeFeishu, createPushBuilder, type FakeFeishu, type FeishuPush } from '../../fakes/feishu'
import { TEST_ENCRYPTION_KEYS, TEST_SESSION_SECRET } from '../../helpers/app'
import { testDatabaseUrl } from '../../helpers/db'
import {
  ENCRYPT_KEY,
  type FeishuStack,
  openOwnDatabase,
  startFeishuStack,
  VERIFICATION_TOKEN,
} from '../../helpers/feishu'
import { sessionHeader } from '../../helpers/session'
import { waitFor } from '../../helpers/wait'
import { bundleWorker, repoRoot } from './bundle'

/**
 * Boots `bot/entry/worker.ts` in workerd (Miniflare) with the compatibility date and flags of wrangler.toml,
 * a Hyperdrive binding to a fresh, migrated PostgreSQL database, the mini-app as static assets, and Feishu
 * pointed at the fake Open API on loopback. Requests go through the real runtime: Web Crypto signatures,
 * postgres.js over `cloudflare:sockets`, pino's console build.
 */

const hasPostgres = Boolean(testDatabaseUrl())
if (!hasPostgres)
  process.stderr.write('!! tests/runtime/workerd SKIPPED: Hyperdrive needs PostgreSQL (not reachable)\n')

/** The settings of wrangler.toml the runtime must honour (read, not repeated, so the test follows them). */
function wranglerConfig() {
  const toml = readFileSync(resolve(repoRoot, 'wrangler.toml'), 'utf8')
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1]
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1]
  const assets = /^\[assets\]\n([^[]*)/m.exec(toml)?.[1] ?? ''
  const assetKey = (key: string) => new RegExp(`^${key}\\s*=\\s*"?([^"\\n]+)"?`, 'm').exec(assets)?.[1]
  const directory = assetKey('directory')
  if (!date || flags === undefined || !directory) throw new Error('wrangler.toml lacks date, flags or assets')
  const handling = <T extends string>(key: string, allowed: readonly T[]): T | undefined => {
    const v = assetKey(key)
    return allowed.find((a) => a === v)
  }
  return {
    compatibilityDate: date,
    compatibilityFlags: [...flags.matchAll(/"([^"]+)"/g)].map((m) => m[1] as string),
    assets: {
      directory: resolve(repoRoot, directory),
      binding: assetKey('binding') ?? 'ASSETS',
      routerConfig: {
        has_user_worker: true,
        invoke_user_worker_ahead_of_assets: assetKey('run_worker_first') === 'true',
      },
      assetConfig: {
        html_handling: handling('html_handling', [
          'auto-trailing-slash',
          'force-trailing-slash',
          'drop-trailing-slash',
          'none',
        ] as const),
        not_found_handling: handling('not_found_handling', [
          'none',
          'single-page-application',
          '404-page',
        ] as const),
      },
    },
  }
}

describe.skipIf(!hasPostgres)('Workers entry in workerd', () => {
  let fake: FakeFeishu
  let own: { database: Database; drop: () => Promise<void> }
  let mf: Miniflare
  let outDir: string
  let tenantId: string
  let nodeImports: string[]
  let push: ReturnType<typeof createPushBuilder>
  let stack: FeishuStack | null = null
  const runtimeOutput: string[] = []
  const appSecret = 'workerd-app-secret-not-to-be-logged'

  const fetchWorker = (path: string, init?: RequestInit) =>
    mf.dispatchFetch(`https://flowcard.example.com${path}`, init as never) as unknown as Promise<Response>
  const postPush = async (p: FeishuPush, path = '/webhooks/feishu/events') => {
    const res = await fetchWorker(path, { method: 'POST', headers: p.headers, body: p.body })
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }
  const outboxFor = (messageId: string) =>
    own.database.rows<{ id: number; topic: string; status: string; tenant_id: string | null }>(
      sql`select id, topic, status, tenant_id from outbox where payload #>> '{event,messageId}' = ${messageId}`,
    )

  beforeAll(async () => {
    fake = await createFakeFeishu()
    own = await openOwnDatabase()
    // The feishu tenant and its directory, as the Node side's directory sync leaves them.
    const logger = createLogger('silent')
    const platform = createFeishuPlatform(
      { appId: fake.appId, appSecret: fake.appSecret, domain: fake.url },
      logger,
      { limiter: new MemoryRateLimiter() },
    )
    tenantId = newId('ten')
    await own.database.db
      .insert(tenants)
      .values({ id: tenantId, name: 'Workers test', platform: 'feishu', platformTenantKey: fake.tenantKey })
    const snapshot = await platform.syncDirectory({ id: tenantId, platformTenantKey: fake.tenantKey })
    await applyDirectory({
      ctx: {
        tenantId,
        actor: { kind: 'system', reason: 'test' },
        db: own.database.db,
        clock: systemClock,
        logger,
      },
      input: { platform: 'feishu', ...snapshot },
    })

    outDir = mkdtempSync(join(tmpdir(), 'flowcard-workerd-'))
    const bundle = await bundleWorker(outDir)
    nodeImports = bundle.nodeImports
    const config = wranglerConfig()
    // Hyperdrive wants a password in the URL; the local server trusts loopback and never asks for it.
    const hyperdriveUrl = new URL(testDatabaseUrl())
    const ownName = (await own.database.rows<{ db: string }>(sql`select current_database() as db`))[0]?.db
    hyperdriveUrl.pathname = `/${ownName}`
    hyperdriveUrl.password ||= 'unused'
    mf = new Miniflare({
      modules: true,
      scriptPath: bundle.file,
      modulesRoot: outDir,
      compatibilityDate: config.compatibilityDate,
      compatibilityFlags: config.compatibilityFlags,
      hyperdrives: { HYPERDRIVE: hyperdriveUrl.toString() },
      assets: config.assets,
      bindings: {
        NODE_ENV: 'production',
        LOG_LEVEL: 'debug',
        DEVCHAT: 'off',
        PUBLIC_URL: 'https://flowcard.example.com',
        SESSION_SECRET: TEST_SESSION_SECRET,
        ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
        FEISHU_APP_ID: fake.appId,
        FEISHU_APP_SECRET: fake.appSecret,
        FEISHU_VERIFICATION_TOKEN: VERIFICATION_TOKEN,
        FEISHU_ENCRYPT_KEY: ENCRYPT_KEY,
        FEISHU_DOMAIN: fake.url,
        UNRELATED_SECRET: appSecret,
      },
      handleRuntimeStdio(stdout: Readable, stderr: Readable) {
        stdout.on('data', (d: Buffer) => runtimeOutput.push(d.toString()))
        stderr.on('data', (d: Buffer) => runtimeOutput.push(d.toString()))
      },
    })
    await mf.ready
    push = createPushBuilder({
      appId: fake.appId,
      tenantKey: fake.tenantKey,
      verificationToken: VERIFICATION_TOKEN,
      encryptKey: ENCRYPT_KEY,
    })
  }, 120_000)

  afterAll(async () => {
    await stack?.close()
    await mf?.dispose()
    await own?.drop()
    await fake?.close()
    if (outDir) rmSync(outDir, { recursive: true, force: true })
  })

  it('bundles with only Node built-ins that nodejs_compat provides natively', () => {
    // postgres.js's workerd build needs Buffer, EventEmitter and streams; the Feishu push crypto uses
    // node:crypto's hash and AES; the entry keeps the request's database in an AsyncLocalStorage. Anything
    // outside workerd's native set would be polyfilled or missing.
    const native = new Set([
      'node:async_hooks',
      'node:buffer',
      'node:crypto',
      'node:events',
      'node:stream',
      'node:util',
    ])
    expect(nodeImports.filter((m) => !native.has(m))).toEqual([])
    expect(nodeImports).toContain('node:buffer')
  })

  it('answers health and readiness (PostgreSQL through Hyperdrive)', async () => {
    const health = await fetchWorker('/healthz')
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: 'ok' })
    const ready = await fetchWorker('/readyz')
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', queue: 'ok' } })
    expect(ready.status).toBe(200)
  })

  it('answers an encrypted Feishu url_verification with the challenge', async () => {
    const p = await push.urlVerification('workerd-challenge-1')
    expect(JSON.parse(p.body)).toHaveProperty('encrypt')
    expect(await postPush(p)).toEqual({ status: 200, body: { challenge: 'workerd-challenge-1' } })
  })

  it('accepts a signed, encrypted message event once and leaves one pending outbox row', async () => {
    const lisi = fake.user('lisi')
    const msg = fake.controls.addUserMessage({ senderUserId: 'lisi', text: '帮助' })
    const p = await push.messageReceive({
      message: { messageId: msg.messageId, chatId: msg.chatId, chatType: 'p2p' },
      text: '帮助',
      sender: { openId: lisi.openId },
    })
    expect(p.headers['X-Lark-Signature']).toBeTruthy()
    expect(await postPush(p)).toEqual({ status: 200, body: {} })
    const rows = await outboxFor(msg.messageId)
    expect(rows).toEqual([
      expect.objectContaining({ topic: 'inbound.event', status: 'pending', tenant_id: null }),
    ])

    // Feishu redelivers: acknowledged, not recorded twice.
    expect(await postPush(p)).toEqual({ status: 200, body: {} })
    expect(await outboxFor(msg.messageId)).toHaveLength(1)
  })

  it('answers a card tap synchronously with a replacement card, once', async () => {
    const lisi = fake.user('lisi')
    const p = await push.cardAction({
      operator: { openId: lisi.openId },
      value: { a: 'help.whoami' },
      messageId: 'om_workerd_card_1',
      chatId: fake.controls.p2pChatId(lisi.openId),
    })
    const res = await postPush(p, '/webhooks/feishu/cards')
    expect(res.status).toBe(200)
    const card = res.body.card as { type: string; data: Record<string, unknown> }
    expect(card.type).toBe('raw')
    expect(JSON.stringify(card.data)).toContain('李四')
    // The same tap again (Feishu retries): already handled, nothing done twice.
    expect(await postPush(p, '/webhooks/feishu/cards')).toEqual({ status: 200, body: {} })
  })

  it('refuses a push with a broken signature and writes nothing', async () => {
    const msg = fake.controls.addUserMessage({ senderUserId: 'lisi', text: '帮助' })
    const p = await push.messageReceive(
      {
        message: { messageId: msg.messageId, chatId: msg.chatId, chatType: 'p2p' },
        text: '帮助',
        sender: { openId: fake.user('lisi').openId },
      },
      { tamper: true },
    )
    expect(await postPush(p)).toEqual({ status: 401, body: { error: 'bad signature' } })
    expect(await outboxFor(msg.messageId)).toEqual([])
  })

  it('tells a group @-mention of the bot from others (bot open_id fetched over fetch)', async () => {
    const chat = fake.controls.addChat({ name: '工作群', memberUserIds: ['zhouba', 'hemei'] })
    const sent = []
    for (const mention of [
      { key: '@_user_1', name: fake.botName, openId: fake.botOpenId },
      { key: '@_user_1', name: '何梅', openId: fake.user('hemei').openId },
    ]) {
      const m = fake.controls.addUserMessage({
        senderUserId: 'zhouba',
        chatId: chat.chatId,
        text: '@_user_1 help',
      })
      const p = await push.messageReceive({
        message: { messageId: m.messageId, chatId: chat.chatId, chatType: 'group' },
        text: '@_user_1 help',
        sender: { openId: fake.user('zhouba').openId },
        mentions: [mention],
      })
      expect((await postPush(p)).status).toBe(200)
      sent.push(m.messageId)
    }
    const addressed = await own.database.rows<{ id: string; to_bot: boolean }>(
      sql`select payload #>> '{event,messageId}' as id, (payload #>> '{event,addressedToBot}')::boolean as to_bot
          from outbox where payload #>> '{event,messageId}' in (${sent[0]}, ${sent[1]})`,
    )
    expect(Object.fromEntries(addressed.map((r) => [r.id, r.to_bot]))).toEqual({
      [sent[0] as string]: true,
      [sent[1] as string]: false,
    })
  })

  it('serves the mini-app API with a session token, in transactions, with 400s naming the field', async () => {
    const [user] = await own.database.rows<{ id: string; name: string }>(
      sql`select id, name from users where tenant_id = ${tenantId} order by id limit 1`,
    )
    if (!user) throw new Error('no user')
    const auth = await sessionHeader(tenantId, user.id)
    expect((await fetchWorker('/api/v1/me')).status).toBe(401)
    const me = await fetchWorker('/api/v1/me', { headers: auth })
    expect(me.status).toBe(200)
    expect(((await me.json()) as { name: string }).name).toBe(user.name)

    const created = await fetchWorker('/api/v1/crm/customers', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: '中国银行' }),
    })
    expect(created.status).toBe(200)
    const customer = (await created.json()) as { id: string; name: string }
    expect(customer.name).toBe('中国银行')
    const [row] = await own.database.rows<{ tenant_id: string }>(
      sql`select tenant_id from crm_customers where id = ${customer.id}`,
    )
    expect(row?.tenant_id).toBe(tenantId)

    // Exports build the file in the request: CSV as text, XLSX with exceljs's browser build.
    const csv = await fetchWorker('/api/v1/crm/export?entity=customers&format=csv', { headers: auth })
    expect(csv.status).toBe(200)
    expect(await csv.text()).toContain('中国银行')
    const xlsx = await fetchWorker('/api/v1/crm/export?entity=customers&format=xlsx', { headers: auth })
    expect(xlsx.status).toBe(200)
    const bytes = new Uint8Array(await xlsx.arrayBuffer())
    expect(String.fromCharCode(bytes[0] ?? 0, bytes[1] ?? 0)).toBe('PK')

    const bad = await fetchWorker('/api/v1/crm/customers', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 42 }),
    })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: { field?: string } }).error.field).toBe('name')
  })

  it('serves concurrent requests in one isolate, each on its own database client', async () => {
    const [user] = await own.database.rows<{ id: string }>(
      sql`select id from users where tenant_id = ${tenantId} order by id limit 1`,
    )
    if (!user) throw new Error('no user')
    const auth = await sessionHeader(tenantId, user.id)
    const msgs = Array.from({ length: 6 }, () =>
      fake.controls.addUserMessage({ senderUserId: 'wangwu', text: '帮助' }),
    )
    const pushes = await Promise.all(
      msgs.map((m) =>
        push.messageReceive({
          message: { messageId: m.messageId, chatId: m.chatId, chatType: 'p2p' },
          text: '帮助',
          sender: { openId: fake.user('wangwu').openId },
        }),
      ),
    )
    const statuses = await Promise.all([
      ...Array.from({ length: 8 }, () => fetchWorker('/api/v1/me', { headers: auth }).then((r) => r.status)),
      ...Array.from({ length: 4 }, () => fetchWorker('/readyz').then((r) => r.status)),
      ...pushes.map((p) => postPush(p).then((r) => r.status)),
    ])
    expect(statuses).toEqual(Array(statuses.length).fill(200))
    for (const m of msgs) expect(await outboxFor(m.messageId)).toHaveLength(1)
  })

  it('signs in with a Feishu login code (exchanged over fetch) and uses the session', async () => {
    const code = fake.issueLoginCode(fake.user('lisi').openId)
    const login = await fetchWorker('/api/v1/auth/feishu', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    })
    expect(login.status).toBe(200)
    const body = (await login.json()) as { token: string; user: { name: string } }
    expect(body.user.name).toBe('李四')
    const me = await fetchWorker('/api/v1/me', { headers: { authorization: `Bearer ${body.token}` } })
    expect(me.status).toBe(200)
    const reused = await fetchWorker('/api/v1/auth/feishu', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    })
    expect(reused.status).toBe(401)
  })

  it('signs in a person the directory does not have yet, read over fetch, with their app-admin grant', async () => {
    // 吴九 is not synced yet (as on a tenant whose first sync is still running) and is the app's admin.
    const openId = fake.user('wujiu').openId
    await installDefaultRoles(own.database.db, tenantId) // as ensureTenant gives every new tenant
    await own.database.rows(
      sql`delete from user_identities where tenant_id = ${tenantId} and open_id = ${openId}`,
    )
    fake.controls.setAppAdmins(['wujiu'])
    const login = await fetchWorker('/api/v1/auth/feishu', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: fake.issueLoginCode(openId) }),
    })
    expect(login.status).toBe(200)
    const body = (await login.json()) as { token: string; user: { name: string; permissions: string[] } }
    expect(body.user.name).toBe(fake.user('wujiu').name)
    expect(body.user.permissions).toContain('*')
    expect(fake.recorder.count('GET', '/open-apis/contact/v3/users/:user_id')).toBeGreaterThan(0)
    expect(fake.recorder.count('GET', '/open-apis/user/v4/app_admin_user/list')).toBeGreaterThan(0)
  })

  it('serves the mini-app from static assets under /app/ with the Feishu app id', async () => {
    const index = await fetchWorker('/app/customers/123')
    expect(index.status).toBe(200)
    const html = await index.text()
    expect(html).toContain(`<meta name="flowcard-feishu-app-id" content="${fake.appId}">`)
    const script = /src="(\/app\/assets\/[^"]+\.js)"/.exec(html)?.[1]
    if (!script) throw new Error('no script in index.html')
    const asset = await fetchWorker(script)
    expect(asset.status).toBe(200)
    expect(asset.headers.get('cache-control')).toContain('immutable')
    await asset.arrayBuffer()
    expect((await fetchWorker('/app/assets/missing-0000.js')).status).toBe(404)
  })

  it('leaves the work to a Node jobs process, which relays and answers what the Worker recorded', async () => {
    const lisi = fake.user('lisi')
    const msg = fake.controls.addUserMessage({ senderUserId: 'lisi', text: '帮助' })
    const p = await push.messageReceive({
      message: { messageId: msg.messageId, chatId: msg.chatId, chatType: 'p2p' },
      text: '帮助',
      sender: { openId: lisi.openId },
    })
    expect(await postPush(p)).toEqual({ status: 200, body: {} })
    expect((await outboxFor(msg.messageId))[0]?.status).toBe('pending')
    // The Node side (relay + workers on the same database), as jobs/worker.ts runs them.
    stack = await startFeishuStack(fake, own.database, { noTenant: true })
    const repliesTo = () =>
      fake.recorder
        .find('POST', '/open-apis/im/v1/messages/:message_id/reply')
        .filter((r) => r.path.includes(msg.messageId) && r.status === 200)
    await waitFor(() => repliesTo().length > 0, 'the reply from the Node side', 15_000)
    await stack.settle(15_000)
    expect(repliesTo()).toHaveLength(1)
    expect((await outboxFor(msg.messageId))[0]?.status).toBe('done')
  })

  it('never wrote a secret, nor crossed requests, in the runtime log', () => {
    const log = runtimeOutput.join('')
    // The log was captured (request lines at debug level), so its absence of secrets means something.
    expect(log).toContain('"msg":"request"')
    // workerd reports I/O or promises crossing requests here; the per-request client must cause none.
    expect(log).not.toMatch(/different request|Cannot perform I\/O/)
    for (const secret of [
      TEST_SESSION_SECRET,
      TEST_ENCRYPTION_KEYS.slice(6),
      fake.appSecret,
      ENCRYPT_KEY,
      VERIFICATION_TOKEN,
      appSecret,
    ])
      expect(log).not.toContain(secret)
  })
})
