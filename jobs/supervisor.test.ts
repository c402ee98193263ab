import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { waitFor } from '../tests/helpers/wait'
import { JobsSupervisor, SupervisedQueue } from './supervisor'

const dir = mkdtempSync(join(tmpdir(), 'supervisor-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A stand-in job child: reports ready over IPC, drains on SIGTERM. */
const healthy = join(dir, 'healthy.mjs')
writeFileSync(
  healthy,
  `process.send({ type: 'ready' })
process.on('SIGTERM', () => setTimeout(() => process.exit(0), 20))
setInterval(() => {}, 1000)
`,
)
/** A child that dies at once, every time. */
const crashing = join(dir, 'crashing.mjs')
writeFileSync(crashing, 'process.exit(3)\n')

const logger = () => {
  const errors: Array<Record<string, unknown>> = []
  return {
    errors,
    debug() {},
    info() {},
    warn() {},
    error(obj: Record<string, unknown>) {
      errors.push(obj)
    },
  }
}

describe('JobsSupervisor', () => {
  it('restarts a killed child, reports it down meanwhile, and stops every child on stop', async () => {
    const log = logger()
    const supervisor = new JobsSupervisor({ processes: 2, logger: log, script: healthy, backoffMs: 200 })
    supervisor.start()
    expect(supervisor.problem()).toContain('starting')
    expect(await supervisor.whenUp(10_000)).toBe(true)
    const [first, second] = supervisor.pids()
    expect(supervisor.pids()).toHaveLength(2)

    process.kill(first ?? 0, 'SIGKILL')
    const down = await waitFor(() => supervisor.problem(), 'the killed child to be reported', 5000)
    expect(down).toMatch(/job workers not running: #1 (down|starting)/)
    const queue = new SupervisedQueue(
      {
        kind: 'bullmq',
        add: async () => {},
        addBulk: async () => {},
        schedule: async () => {},
        work: async () => {},
        ping: async () => {},
        close: async () => {},
      },
      supervisor,
    )
    await expect(queue.ping()).rejects.toThrow('job workers not running')
    await waitFor(() => supervisor.problem() === null, 'the replacement to be up', 10_000)
    await queue.ping()
    expect(supervisor.pids()).toHaveLength(2)
    expect(supervisor.pids()).not.toContain(first)
    expect(supervisor.pids()).toContain(second)
    expect(log.errors[0]).toMatchObject({ child: 1, signal: 'SIGKILL', restartInMs: 200 })

    await supervisor.stop()
    expect(supervisor.pids()).toEqual([])
    expect(supervisor.problem()).toBe('job workers not running: #1 stopped, #2 stopped')
  })

  it('backs off, doubling, while a child keeps dying, and restarts nothing once stopping', async () => {
    const log = logger()
    const supervisor = new JobsSupervisor({
      processes: 1,
      logger: log,
      script: crashing,
      backoffMs: 20,
      maxBackoffMs: 80,
    })
    supervisor.start()
    await waitFor(() => log.errors.length >= 4, 'four crashes', 10_000)
    supervisor.prepareStop()
    const seen = log.errors.length
    expect(log.errors.slice(0, 4).map((e) => e.restartInMs)).toEqual([20, 40, 80, 80])
    expect(log.errors[0]).toMatchObject({ code: 3 })
    await new Promise((r) => setTimeout(r, 200))
    expect(log.errors.length).toBe(seen)
    await supervisor.stop()
  })
})
