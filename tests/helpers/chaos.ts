import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createWriteStream, existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { sql } from 'drizzle-orm'
import { createTemplate } from '../../bot/domain/approvals/create-template'
import { startInstance } from '../../bot/domain/approvals/start-instance'
import type { ServiceContext } from '../../bot/domain/context'
import {
  createAssignmentRule,
  createChannel,
  listChannels,
  rotateChannelSecret,
} from '../../bot/domain/leads'
import { createNotice } from '../../bot/domain/notices/create-notice'
import { BUNDLE_DIR, sourceStamp } from '../../bot/entry/bundle-stamp.mjs'
import { systemClock } from '../../bot/lib/clock'
import { installSecretKeys, parseEncryptionKeys } from '../../bot/lib/secret-box'
import { signPayload } from '../../bot/lib/signed-call'
import { type Database, openDatabase } from '../../db/client'
import { leads } from '../../db/schema'
import { createBulkFeishuTenant, freePort, PrivateRedis } from '../bench/notices-fixtures'
import { createFakeFeishu, createPushBuilder, type FakeFeishu, type FeishuPush } from '../fakes/feishu'
import { TEST_ENCRYPTION_KEYS } from './app'
import { ThrowawayPostgres } from './throwaway-postgres'
import { sleep } from './wait'

/**
 * The chaos run: two HTTP instances (`npm start` with JOBS_MODE off) and two worker processes
 * (`npm run worker`) on a PostgreSQL and a Redis of their own, Feishu pointed at the fake Open API. A steady
 * mix — chat commands (signed `im.message.receive_v1` pushes), approvals submitted and approved by card taps,
 * a notice fan-out — while a random process is SIGKILLed every few seconds (and restarted, as systemd
 * would), PostgreSQL restarts once and Redis (no persistence) once. Pushes go to either instance and are
 * redelivered with the same event id until acknowledged, as Feishu does. Afterwards the report says what
 * was lost, duplicated or stuck, and the time to recover after each fault (a probe message sent right
 * after the fault, until its reply is at the fake).
 */
export interface ChaosOptions {
  /** Length of the faulty phase. */
  durationMs: number
  /** One process SIGKILLed this often. */
  killEveryMs: number
  /** Chat commands per second. */
  chatPerSecond: number
  /** Approval requests submitted per second (each approved by a card tap). */
  approvalsPerSecond: number
  /** Notice recipients. */
  fanout: number
  /** Leads pushed per second through the signed intake webhook (each assigned by a rule, its card to the owner). */
  leadsPerSecond?: number
  /** How long the system may take to settle after the faults end. */
  drainTimeoutMs: number
  log?: (line: string) => void
}

export interface ChaosReport {
  chat: { sent: number; answered: number; lost: number; duplicated: number }
  approvals: {
    submitted: number
    approved: number
    /** Taps answered "操作失败" (tapped again). */
    failedTaps: number
    inconsistent: number
    cardsDuplicated: number
    cardsLost: number
  }
  notice: { recipients: number; delivered: number; lost: number; duplicated: number }
  leads: {
    pushed: number
    stored: number
    lost: number
    duplicated: number
    cardsLost: number
    cardsDuplicated: number
  }
  outbox: { stuck: number; failed: number; failedErrors: string[] }
  faults: Array<{ fault: string; recoveryMs: number }>
  /** What each anomaly above was (which approval, which lead's cards), for a failure message. */
  details: string[]
  settleMs: number
  logDir: string
}

const ROOT = resolve(import.meta.dirname, '../..')
const VT = 'chaos-verification-token'
const EK = 'chaos-encrypt-key-0123456789'
const silent = { debug() {}, info() {}, warn() {}, error() {} }

/** The compiled server when it matches the sources (as `npm start` decides), else the sources through tsx. */
async function entryArgs(which: 'node' | 'worker'): Promise<string[]> {
  try {
    const { stamp } = JSON.parse(readFileSync(resolve(BUNDLE_DIR, 'stamp.json'), 'utf8')) as { stamp: string }
    const compiled = resolve(BUNDLE_DIR, `${which}.mjs`)
    if (stamp === (await sourceStamp()) && existsSync(compiled)) return [compiled]
  } catch {}
  return ['--import', 'tsx', which === 'node' ? 'bot/entry/node.ts' : 'jobs/worker.ts']
}

/** The last lines of a log file, for a failure message. */
function tailOf(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}

class Supervised {
  child: ChildProcess | null = null
  /** Ready and not killed since: only such a process is picked as the next victim. */
  up = false
  restarts = 0
  constructor(
    readonly name: string,
    readonly kind: 'http' | 'worker',
    private readonly args: string[],
    private readonly env: Record<string, string>,
    private readonly logFile: string,
    readonly port = 0,
  ) {}

  get base(): string {
    return `http://127.0.0.1:${this.port}`
  }

  /** Spawns the process and resolves once it is ready (HTTP: `/readyz` 200; worker: its start line). */
  async start(): Promise<void> {
    const child = spawn(process.execPath, this.args, {
      cwd: ROOT,
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.child = child
    const log = createWriteStream(this.logFile, { flags: 'a' })
    child.stderr?.pipe(log, { end: false })
    let started = false
    let buf = ''
    child.stdout?.on('data', (d: Buffer) => {
      log.write(d)
      if (started) return
      buf += d.toString()
      if (buf.includes('"worker started"')) started = true
      if (buf.length > 100_000) buf = buf.slice(-1000)
    })
    const deadline = Date.now() + 90_000
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        await new Promise<void>((done) => log.end(done))
        throw new Error(
          `${this.name} exited (${child.exitCode ?? child.signalCode}) before it was ready; the end of its log:\n${tailOf(this.logFile)}`,
        )
      }
      if (this.kind === 'worker' ? started : await this.ready()) {
        this.up = true
        return
      }
      if (Date.now() > deadline)
        throw new Error(`${this.name} was not ready in 90 s; the end of its log:\n${tailOf(this.logFile)}`)
      await sleep(100)
    }
  }

  private async ready(): Promise<boolean> {
    try {
      const res = await fetch(`${this.base}/readyz`, { signal: AbortSignal.timeout(2000) })
      await res.body?.cancel()
      return res.status === 200
    } catch {
      return false
    }
  }

  async kill(signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL'): Promise<void> {
    const c = this.child
    this.up = false
    if (!c || c.exitCode !== null || c.signalCode !== null) return
    const exited = once(c, 'exit')
    c.kill(signal)
    const timer = setTimeout(() => c.kill('SIGKILL'), 15_000)
    await exited
    clearTimeout(timer)
  }
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => {})
  const logDir = mkdtempSync(join(tmpdir(), 'fc-chaos-'))
  const cleanups: Array<() => Promise<unknown>> = []
  const procs: Supervised[] = []
  try {
    const pg = await ThrowawayPostgres.start(await freePort())
    cleanups.push(() => pg.destroy())
    const redis = await PrivateRedis.start()
    cleanups.push(() => redis.kill())
    // Killed from outside (a timeout, Ctrl-C): nothing of the run outlives this process.
    const onExit = () => {
      for (const p of procs) p.child?.kill('SIGKILL')
      void redis.kill()
      pg.destroyNow()
    }
    process.once('exit', onExit)
    cleanups.push(async () => process.off('exit', onExit))
    const run = Math.random().toString(36).slice(2, 8)
    const tenantKey = `tk_${run}`
    const people = Math.max(options.fanout, 60)
    // The fake's directory must know everyone before the first instance syncs it.
    const fakeUsersSeed = Array.from({ length: people }, (_, k) => ({
      userId: `b${run}${k + 1}`,
      name: `员工${k + 1}`,
      openId: `ou_${run}_${String(k + 1).padStart(6, '0')}`,
    }))
    const fake: FakeFeishu = await createFakeFeishu({
      tenantKey,
      org: { departments: [], users: fakeUsersSeed },
      rateLimiting: false,
    })
    cleanups.push(() => fake.close())

    const baseEnv = {
      DATABASE_URL: pg.url(),
      REDIS_URL: redis.url,
      DATA_DIR: logDir,
      SEED_DEMO: 'false',
      SESSION_SECRET: 'chaos-session-secret-0123456789abcdef-xyz',
      ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
      FEISHU_APP_ID: fake.appId,
      FEISHU_APP_SECRET: fake.appSecret,
      FEISHU_VERIFICATION_TOKEN: VT,
      FEISHU_ENCRYPT_KEY: EK,
      FEISHU_DOMAIN: fake.url,
      HOST: '127.0.0.1',
    }
    const httpArgs = await entryArgs('node')
    const workerArgs = await entryArgs('worker')
    for (const n of [1, 2]) {
      const port = await freePort()
      procs.push(
        new Supervised(
          `http-${n}`,
          'http',
          httpArgs,
          { ...baseEnv, PORT: String(port), JOBS_MODE: 'off', LOG_LEVEL: 'warn' },
          join(logDir, `http-${n}.log`),
          port,
        ),
      )
    }
    for (const n of [1, 2])
      procs.push(
        new Supervised(
          `worker-${n}`,
          'worker',
          workerArgs,
          { ...baseEnv, LOG_LEVEL: 'info' },
          join(logDir, `worker-${n}.log`),
        ),
      )
    const http = procs.filter((p) => p.kind === 'http')
    const bootStart = Date.now()
    // The first instance migrates; the others start on a migrated database.
    await procs[0]?.start()
    await Promise.all(procs.slice(1).map((p) => p.start()))
    cleanups.unshift(async () => Promise.all(procs.map((p) => p.kill('SIGTERM'))))
    log(`chaos: ${procs.length} processes up in ${Date.now() - bootStart} ms`)

    const database: Database = await openDatabase({ url: pg.url(), max: 3 })
    cleanups.unshift(() => database.close())
    const { org } = await createBulkFeishuTenant(database, { n: people, tenantKey, run })
    const userId = (i: number) => `usr_${run}_${String(i).padStart(6, '0')}`
    const openId = (i: number) => `ou_${run}_${String(i).padStart(6, '0')}`
    const fakeUserId = (i: number) => `b${run}${i}`
    const ctxOf = (actor: ServiceContext['actor']): ServiceContext => ({
      tenantId: org.tenantId,
      actor,
      db: database.db,
      clock: systemClock,
      logger: silent,
    })
    const APPROVERS = [1, 2, 3]
    for (const a of APPROVERS)
      await createTemplate({
        ctx: ctxOf({ kind: 'system', reason: 'chaos' }),
        input: {
          key: `chaos${a}`,
          name: `混沌测试${a}`,
          form: [{ key: 'note', label: '说明', type: 'text', required: true }],
          flow: {
            nodes: [
              { id: 'start', type: 'start', next: 'a' },
              {
                id: 'a',
                type: 'approval',
                name: '审批',
                mode: 'any',
                approvers: { kind: 'users', userIds: [userId(a)] },
                next: 'end',
              },
              { id: 'end', type: 'end' },
            ],
          },
        },
      })

    const push = createPushBuilder({ appId: fake.appId, tenantKey, verificationToken: VT, encryptKey: EK })
    let rr = 0
    let stopping = false
    /** Feishu's side: POST to either instance, redeliver the same push until a 200. */
    const deliver = async (path: string, p: FeishuPush): Promise<unknown> => {
      const deadline = Date.now() + options.durationMs + options.drainTimeoutMs
      for (;;) {
        const target = http[rr++ % http.length]
        try {
          const res = await fetch(`${target?.base}${path}`, {
            method: 'POST',
            headers: p.headers,
            body: p.body,
            signal: AbortSignal.timeout(10_000),
          })
          const text = await res.text()
          if (res.status === 200) return text ? JSON.parse(text) : {}
        } catch {}
        if (Date.now() > deadline) throw new Error(`push to ${path} never acknowledged`)
        await sleep(250)
      }
    }

    // Chat commands: each a message the fake knows (so the reply can thread under it).
    const chats: string[] = []
    const sendChat = async (i: number): Promise<string> => {
      const said = fake.controls.addUserMessage({ senderUserId: fakeUserId(i), text: '我是谁' })
      chats.push(said.messageId)
      await deliver(
        '/webhooks/feishu/events',
        await push.messageReceive({
          message: { messageId: said.messageId, chatId: said.chatId, chatType: 'p2p' },
          text: '我是谁',
          sender: { openId: openId(i) },
        }),
      )
      return said.messageId
    }
    const repliesTo = (messageId: string) =>
      fake.recorder.sentMessages().filter((m) => m.parentId === messageId).length

    // Approvals: submitted beside the product (retried until it is there once), approved by a card tap once
    // the approver's card is out.
    const approvals: Array<{ note: string; instanceId: string; approver: number; taskId: string }> = []
    let failedTaps = 0
    const approvalFlows: Array<Promise<void>> = []
    const instanceByNote = async (note: string) =>
      (
        await database.rows<{ id: string }>(
          sql`select id from approval_instances where tenant_id = ${org.tenantId} and form->>'note' = ${note}`,
        )
      )[0]?.id
    const approvalFlow = async (n: number) => {
      const approver = APPROVERS[n % APPROVERS.length] ?? 1
      const submitter = 10 + (n % 40)
      const note = `chaos-${run}-${n}`
      let instanceId: string | undefined
      for (;;) {
        try {
          instanceId = await instanceByNote(note)
          if (!instanceId)
            instanceId = (
              await startInstance({
                ctx: ctxOf({ kind: 'user', userId: userId(submitter), via: 'feishu' }),
                input: { templateKey: `chaos${approver}`, form: { note } },
              })
            ).instance.id
          break
        } catch {
          await sleep(250)
        }
      }
      const [task] = await retryDb(() =>
        database.rows<{ id: string; version: number }>(
          sql`select id, version from approval_tasks where instance_id = ${instanceId} and status = 'pending'`,
        ),
      )
      if (!task) throw new Error(`approval ${note} has no pending task`)
      approvals.push({ note, instanceId, approver, taskId: task.id })
      const cardOut = () =>
        fake.recorder.messagesTo(openId(approver)).some((m) => m.originalContent.includes(task.id))
      const deadline = Date.now() + options.durationMs + options.drainTimeoutMs
      while (!cardOut() && Date.now() < deadline) await sleep(100)
      if (!cardOut()) return
      // The approver taps again after "操作失败，请稍后再试" (the tap's transaction failed: nothing was applied),
      // as a person would; each tap is a new event.
      for (let tap = 0; tap < 20; tap++) {
        const answer = (await deliver(
          '/webhooks/feishu/cards',
          await push.cardAction({
            operator: { openId: openId(approver) },
            value: { a: 'approval.approve', task: task.id, v: task.version },
            messageId: `om_chaos_tap_${run}_${n}`,
            chatId: fake.controls.p2pChatId(openId(approver)),
          }),
        )) as { toast?: { type?: string; content?: string } }
        if (!answer.toast?.content?.startsWith('操作失败')) return
        failedTaps++
        await sleep(500)
      }
    }

    // Leads: a web-form channel with a signing secret and a rule over three reps; each push is signed anew on every
    // try (as a sender retrying a lost answer would) and retried until a 2xx: a replay answers with the same lead.
    // This process seals the channel's secret with the key the product's processes are given.
    const keyring = parseEncryptionKeys(TEST_ENCRYPTION_KEYS)
    if (typeof keyring === 'string') throw new Error(keyring)
    installSecretKeys(keyring)
    const admin = ctxOf({ kind: 'user', userId: org.users.wangjianguo ?? '', via: 'api' })
    const channel = await createChannel({ ctx: admin, input: { name: `混沌渠道 ${run}` } })
    const intakeKey = (await listChannels({ ctx: admin })).find((c) => c.id === channel.id)?.intakeKey ?? ''
    const { secret: leadSecret } = await rotateChannelSecret({ ctx: admin, channelId: channel.id })
    const LEAD_REPS = [4, 5, 6]
    await createAssignmentRule({
      ctx: admin,
      input: {
        name: `混沌分配 ${run}`,
        match: { channelIds: [channel.id] },
        members: LEAD_REPS.map((i) => ({ userId: userId(i), capacity: 100_000 })),
      },
    })
    const leadNames: string[] = []
    let nonceSeq = 0
    const pushLead = async (n: number): Promise<void> => {
      const name = `混沌客户${run}-${n}号`
      leadNames.push(name)
      const body = JSON.stringify({
        sourceLeadId: `chaos-${run}-${n}`,
        name,
        phone: `1390${String(n).padStart(7, '0')}`,
      })
      const deadline = Date.now() + options.durationMs + options.drainTimeoutMs
      for (;;) {
        const target = http[rr++ % http.length]
        const ts = String(Math.floor(Date.now() / 1000))
        const nonce = `chaos${run}n${nonceSeq++}`.padEnd(20, '0')
        try {
          const res = await fetch(`${target?.base}/api/v1/intake/${intakeKey}`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'x-flowcard-timestamp': ts,
              'x-flowcard-nonce': nonce,
              'x-flowcard-signature': await signPayload(leadSecret, ts, nonce, body),
            },
            body,
            signal: AbortSignal.timeout(10_000),
          })
          await res.body?.cancel()
          if (res.status === 200 || res.status === 201) return
        } catch {}
        if (Date.now() > deadline) throw new Error(`lead ${name} never acknowledged`)
        await sleep(250)
      }
    }
    const titleOf = (content: string) =>
      /"title":\{[^}]*?"content":"([^"]*)"/.exec(content)?.[1] ?? content.slice(0, 80)
    // A lead's card is titled with its name; other messages may name it too (the morning brief lists a rep's
    // new leads once the run passes the tenant's brief time), and are not its card.
    const leadCardsOf = (name: string) =>
      LEAD_REPS.reduce(
        (sum, i) =>
          sum +
          fake.recorder.messagesTo(openId(i)).filter((m) => titleOf(m.originalContent).includes(name)).length,
        0,
      )

    // The notice fan-out, published at the start of the faulty phase.
    const noticeTitle = `混沌通知 ${run}`
    const recipients = Array.from({ length: options.fanout }, (_, k) => k + 1)
    await createNotice({
      ctx: ctxOf({ kind: 'user', userId: org.users.wangjianguo ?? '', via: 'api' }),
      input: {
        title: noticeTitle,
        body: '混沌测试中的公告。',
        audience: { users: recipients.map(userId) },
        requireAck: false,
        publish: 'now',
      },
    })

    // The steady mix.
    const started = Date.now()
    const chatFlows: Array<Promise<unknown>> = []
    const leadFlows: Array<Promise<void>> = []
    const mix = (async () => {
      let chatNo = 0
      let approvalNo = 0
      let leadNo = 0
      while (!stopping) {
        const elapsed = (Date.now() - started) / 1000
        while (chatNo < elapsed * options.chatPerSecond)
          chatFlows.push(sendChat(20 + (chatNo++ % (people - 20))))
        while (leadNo < elapsed * (options.leadsPerSecond ?? 0)) leadFlows.push(pushLead(leadNo++))
        while (approvalNo < elapsed * options.approvalsPerSecond)
          approvalFlows.push(approvalFlow(approvalNo++))
        await sleep(50)
      }
    })()

    // Faults, each followed by a probe: the time until a new message is answered.
    const faults: ChaosReport['faults'] = []
    const probe = async (fault: string, at: number) => {
      const id = await sendChat(people)
      while (repliesTo(id) === 0 && Date.now() - at < options.drainTimeoutMs) await sleep(50)
      faults.push({ fault, recoveryMs: repliesTo(id) ? Date.now() - at : Number.POSITIVE_INFINITY })
    }
    const probes: Array<Promise<void>> = []
    const restarts: Array<Promise<void>> = []
    const pgAt = started + options.durationMs * 0.35
    const redisAt = started + options.durationMs * 0.7
    let pgDone = false
    let redisDone = false
    let nextKill = started + options.killEveryMs
    while (Date.now() - started < options.durationMs) {
      const now = Date.now()
      if (!pgDone && now >= pgAt) {
        pgDone = true
        log('chaos: PostgreSQL restart')
        await pg.restart('immediate')
        probes.push(probe('postgres restart', now))
      } else if (!redisDone && now >= redisAt) {
        redisDone = true
        log('chaos: Redis restart')
        await redis.restart(300)
        probes.push(probe('redis restart', now))
      } else if (now >= nextKill) {
        nextKill = now + options.killEveryMs
        const alive = procs.filter((p) => p.up)
        const victim = alive[Math.floor(Math.random() * alive.length)]
        if (victim) {
          log(`chaos: SIGKILL ${victim.name}`)
          await victim.kill('SIGKILL')
          victim.restarts++
          const killedAt = Date.now()
          restarts.push(
            victim.start().then(() => {
              faults.push({ fault: `restart ${victim.name}`, recoveryMs: Date.now() - killedAt })
            }),
          )
          probes.push(probe(`SIGKILL ${victim.name}`, now))
        }
      }
      await sleep(50)
    }
    stopping = true
    await mix
    await Promise.all(restarts)
    log('chaos: faults over, settling')

    // Settle: every flow finished, every message out, the outbox quiet.
    const settleStart = Date.now()
    await Promise.all([...chatFlows, ...approvalFlows, ...leadFlows, ...probes])
    const sentTo = (i: number) =>
      fake.recorder.messagesTo(openId(i)).filter((m) => m.originalContent.includes(noticeTitle)).length
    const outboxOpen = async () =>
      (
        await retryDb(() =>
          database.rows<{ n: number }>(
            sql`select count(*)::int as n from outbox where status in ('pending', 'relayed') and available_at <= now()`,
          ),
        )
      )[0]?.n ?? 0
    const settled = async () =>
      chats.every((m) => repliesTo(m) > 0) &&
      recipients.every((i) => sentTo(i) > 0) &&
      leadNames.every((name) => leadCardsOf(name) > 0) &&
      (
        await retryDb(() =>
          database.rows<{ n: number }>(
            sql`select count(*)::int as n from approval_instances where tenant_id = ${org.tenantId} and status = 'pending'`,
          ),
        )
      )[0]?.n === 0 &&
      (await outboxOpen()) === 0
    while (!(await settled()) && Date.now() - settleStart < options.drainTimeoutMs) await sleep(200)
    const settleMs = Date.now() - settleStart

    const instances = await database.rows<{
      id: string
      status: string
      version: number
      tasks: number
      approved: number
    }>(sql`
      select i.id, i.status, i.version,
        (select count(*)::int from approval_tasks t where t.instance_id = i.id) as tasks,
        (select count(*)::int from approval_tasks t where t.instance_id = i.id and t.status = 'approved') as approved
      from approval_instances i where i.tenant_id = ${org.tenantId}`)
    const byId = new Map(instances.map((i) => [i.id, i]))
    const failedRows = await database.rows<{ topic: string; last_error: string | null }>(
      sql`select topic, last_error from outbox where status = 'failed'`,
    )
    const storedLeads = new Map(
      (
        await database.rows<{ name: string; n: number }>(
          sql`select name, count(*)::int as n from ${leads} where tenant_id = ${org.tenantId} group by name`,
        )
      ).map((r) => [r.name, r.n]),
    )
    const leadCards = leadNames.map(leadCardsOf)
    const details = [
      ...leadNames
        .filter((_, k) => (leadCards[k] ?? 0) > 1)
        .map((name) => {
          const cards = LEAD_REPS.flatMap((i) =>
            fake.recorder
              .messagesTo(openId(i))
              .filter((m) => m.originalContent.includes(name))
              .map((m) => `${i}:${m.uuid ?? '-'}:${titleOf(m.originalContent)}`),
          )
          return `lead ${name}: ${cards.join(' | ')}`
        }),
      ...instances
        .filter((i) => !(i.status === 'approved' && i.tasks === 1 && i.approved === 1))
        .map((i) => `approval ${i.id}: ${i.status} v${i.version}, ${i.tasks} tasks, ${i.approved} approved`),
    ]
    const cardCounts = approvals.map(
      (a) =>
        fake.recorder.messagesTo(openId(a.approver)).filter((m) => m.originalContent.includes(a.taskId))
          .length,
    )
    return {
      chat: {
        sent: chats.length,
        answered: chats.filter((m) => repliesTo(m) === 1).length,
        lost: chats.filter((m) => repliesTo(m) === 0).length,
        duplicated: chats.filter((m) => repliesTo(m) > 1).length,
      },
      approvals: {
        submitted: approvals.length,
        approved: approvals.filter((a) => byId.get(a.instanceId)?.status === 'approved').length,
        failedTaps,
        // One instance per submission, its one task approved, the instance approved with it.
        inconsistent:
          instances.length -
          approvals.length +
          instances.filter((i) => !(i.status === 'approved' && i.tasks === 1 && i.approved === 1)).length,
        cardsDuplicated: cardCounts.filter((n) => n > 1).length,
        cardsLost: cardCounts.filter((n) => n === 0).length,
      },
      notice: {
        recipients: recipients.length,
        delivered: recipients.filter((i) => sentTo(i) === 1).length,
        lost: recipients.filter((i) => sentTo(i) === 0).length,
        duplicated: recipients.filter((i) => sentTo(i) > 1).length,
      },
      leads: {
        pushed: leadNames.length,
        stored: leadNames.filter((name) => storedLeads.get(name) === 1).length,
        lost: leadNames.filter((name) => !storedLeads.has(name)).length,
        duplicated: leadNames.filter((name) => (storedLeads.get(name) ?? 0) > 1).length,
        cardsLost: leadCards.filter((n) => n === 0).length,
        cardsDuplicated: leadCards.filter((n) => n > 1).length,
      },
      outbox: {
        stuck: await outboxOpen(),
        failed: failedRows.length,
        failedErrors: [...new Set(failedRows.map((r) => `${r.topic}: ${r.last_error ?? ''}`.slice(0, 200)))],
      },
      faults,
      details,
      settleMs,
      logDir,
    }
  } finally {
    for (const c of cleanups) await c().catch(() => {})
  }
}

/** A read the test makes beside the product, retried across a database restart. */
async function retryDb<T>(read: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await read()
    } catch (err) {
      if (i > 100) throw err
      await sleep(200)
    }
  }
}
