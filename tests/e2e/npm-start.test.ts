import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sleep, waitFor } from '../helpers/wait'

/**
 * What a newcomer runs: the real entry on defaults (embedded PGlite in a fresh DATA_DIR, in-process jobs,
 * demo seed, devchat). PGlite has one connection, so this is where a query issued while a transaction holds
 * it would hang the whole product; the other e2e tests run on PostgreSQL and cannot see that.
 */
/** A port the OS says is free (a fixed range collided with services on it, e.g. 4222 and 4369). */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const address = server.address()
  await new Promise<void>((done) => server.close(() => done()))
  if (!address || typeof address === 'string') throw new Error('no port')
  return address.port
}
const port = await freePort()
const base = `http://127.0.0.1:${port}`
const dataDir = mkdtempSync(join(tmpdir(), 'flowcard-npm-start-'))
let child: ChildProcess

const ready = async () => {
  try {
    return (await fetch(`${base}/readyz`)).status === 200
  } catch {
    return false
  }
}
const post = async (path: string, body: unknown) => {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}
interface Msg {
  direction: string
  platformMessageId: string
  card: {
    header: { title: string }
    elements: Array<{ type: string; buttons?: Array<{ text: string; action?: Record<string, unknown> }> }>
  } | null
}
const history = async (as: string): Promise<Msg[]> =>
  (
    (await (await fetch(`${base}/devchat/api/messages?tenant=demo&as=${as}&chat=p2p:${as}`)).json()) as {
      messages: Msg[]
    }
  ).messages
const say = async (as: string, text: string): Promise<Msg> => {
  const before = (await history(as)).filter((m) => m.direction === 'out').length
  expect((await post('/devchat/api/messages', { tenant: 'demo', as, chat: `p2p:${as}`, text })).status).toBe(
    200,
  )
  return waitFor(
    async () => (await history(as)).filter((m) => m.direction === 'out')[before],
    `a reply to "${text}"`,
    15_000,
    50,
  )
}

beforeAll(async () => {
  // What `npm start` runs: the server compiled at install time, or the sources through tsx when edited since.
  child = spawn(process.execPath, ['bot/entry/start.mjs'], {
    env: {
      ...process.env,
      PORT: String(port),
      DATA_DIR: dataDir,
      DATABASE_URL: '',
      REDIS_URL: '',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000)
  })
  const exited = new Promise<never>((_, fail) =>
    child.once('exit', (code) => fail(new Error(`npm start exited (${code}) before ready:\n${stderr}`))),
  )
  // Once ready, the SIGTERM in afterAll ends it: that exit is not a failure.
  exited.catch(() => {})
  // Generous: a cold start seeds the demo company, and other test files share the machine's two cores.
  await Promise.race([waitFor(ready, '/readyz 200 after start', 120_000, 100), exited])
})
afterAll(async () => {
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGTERM')
    await exited
  }
  rmSync(dataDir, { recursive: true, force: true })
})

describe('npm start on defaults', () => {
  it('stays ready while the seeded demo work runs', async () => {
    for (let i = 0; i < 6; i++) {
      expect(await ready()).toBe(true)
      await sleep(500)
    }
  })

  it('answers chat commands across the product and applies a card tap', async () => {
    const help = await say('liuyang', '帮助')
    expect(help.card?.header.title).toBe('flowcard 助手')
    const tap = await post('/devchat/api/actions', {
      tenant: 'demo',
      as: 'liuyang',
      messageId: help.platformMessageId,
      payload: { a: 'help.whoami' },
    })
    expect(tap.status).toBe(200)
    expect((tap.body.card as { header: { title: string } }).header.title).toBe('你好，刘洋')
    expect((await say('liuyang', '我的审批')).card).not.toBeNull()
    expect((await say('liuyang', '公告')).card).not.toBeNull()
    expect((await say('liuyang', '客户 科技')).card).not.toBeNull()
    expect(await ready()).toBe(true)
  })

  it('shuts down cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
  })
})
