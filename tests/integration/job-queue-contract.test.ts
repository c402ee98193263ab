import { afterEach, describe, expect, it } from 'vitest'
import { newId } from '../../bot/lib/ids'
import { BullQueue } from '../../jobs/drivers/bullmq'
import { InlineQueue } from '../../jobs/drivers/inline'
import {
  type JobInfo,
  type JobPayload,
  type JobQueue,
  PermanentJobError,
  RetryLaterError,
} from '../../jobs/queue'
import { redisUrl } from '../helpers/db'
import { sleep, waitFor } from '../helpers/wait'

type Make = () => Promise<JobQueue>
const drivers: Array<[string, Make, boolean]> = [
  ['inline', async () => new InlineQueue(), true],
  // A unique prefix per test keeps runs and tests apart on the shared Redis.
  [
    'bullmq',
    async () => BullQueue.connect({ url: redisUrl(), prefix: `test-${newId('q')}` }),
    Boolean(redisUrl()),
  ],
]

describe.each(drivers)('JobQueue contract: %s driver', (_name, make, available) => {
  let queue: JobQueue | null = null
  const open = async () => {
    queue = await make()
    return queue
  }
  afterEach(async () => {
    await queue?.close(2000)
    queue = null
  })

  it.skipIf(!available)('runs a job once with its payload', async () => {
    const q = await open()
    const seen: Array<[JobPayload, JobInfo]> = []
    await q.work({ 'demo.echo': async (payload, job) => void seen.push([payload, job]) })
    await q.add('demo.echo', { n: 1, text: '你好' })
    await waitFor(() => seen.length === 1, 'the job to run')
    expect(seen[0]?.[0]).toEqual({ n: 1, text: '你好' })
    expect(seen[0]?.[1]).toMatchObject({ name: 'demo.echo', attempt: 1 })
  })

  it.skipIf(!available)(
    'retries a failing job with exponential backoff, then reports it failed once',
    async () => {
      const q = await open()
      const tries: number[] = []
      const failed: JobInfo[] = []
      await q.work(
        {
          'demo.flaky': async () => {
            tries.push(Date.now())
            throw new Error('platform said no')
          },
        },
        { onFailed: (job) => void failed.push(job) },
      )
      await q.add('demo.flaky', {}, { attempts: 3, backoffMs: 60 })
      await waitFor(() => failed.length === 1, 'the final failure', 8000)
      await sleep(150)
      expect(tries).toHaveLength(3)
      expect(failed).toHaveLength(1)
      expect(failed[0]?.attempt).toBe(3)
      const [t0 = 0, t1 = 0, t2 = 0] = tries
      expect(t1 - t0).toBeGreaterThanOrEqual(55)
      expect(t2 - t1).toBeGreaterThanOrEqual(115)
    },
  )

  it.skipIf(!available)('succeeds on a retry without reporting failure', async () => {
    const q = await open()
    let tries = 0
    const failed: JobInfo[] = []
    const done: JobInfo[] = []
    await q.work(
      {
        'demo.second-time': async () => {
          tries++
          if (tries === 1) throw new Error('transient')
        },
      },
      { onFailed: (job) => void failed.push(job), onCompleted: (job) => void done.push(job) },
    )
    await q.add('demo.second-time', {}, { attempts: 3, backoffMs: 20 })
    await waitFor(() => done.length === 1, 'completion')
    expect(tries).toBe(2)
    expect(failed).toHaveLength(0)
  })

  it.skipIf(!available)('fails a permanent error at once, without further tries', async () => {
    const q = await open()
    let tries = 0
    const failed: JobInfo[] = []
    await q.work(
      {
        'demo.gone': async () => {
          tries++
          throw new PermanentJobError('user left the company')
        },
      },
      { onFailed: (job) => void failed.push(job) },
    )
    await q.add('demo.gone', {}, { attempts: 5, backoffMs: 20 })
    await waitFor(() => failed.length === 1, 'the failure')
    await sleep(150)
    expect(tries).toBe(1)
  })

  it.skipIf(!available)('retries later without counting a try when asked to wait', async () => {
    const q = await open()
    const tries: Array<[number, number]> = []
    const failed: JobInfo[] = []
    await q.work(
      {
        'demo.throttled': async (_p, job) => {
          tries.push([Date.now(), job.attempt])
          if (tries.length < 4) throw new RetryLaterError(50, 'rate limited')
        },
      },
      { onFailed: (job) => void failed.push(job) },
    )
    await q.add('demo.throttled', {}, { attempts: 2, backoffMs: 20 })
    await waitFor(() => tries.length === 4, 'four tries', 5000)
    await sleep(100)
    expect(failed).toHaveLength(0)
    expect(tries.map(([, attempt]) => attempt)).toEqual([1, 1, 1, 1])
    expect((tries[1]?.[0] ?? 0) - (tries[0]?.[0] ?? 0)).toBeGreaterThanOrEqual(45)
  })

  it.skipIf(!available)('holds a delayed job until its time', async () => {
    const q = await open()
    let ranAt = 0
    await q.work({
      'demo.later': async () => {
        ranAt = Date.now()
      },
    })
    const addedAt = Date.now()
    await q.add('demo.later', {}, { delayMs: 300 })
    await waitFor(() => ranAt > 0, 'the delayed job', 5000)
    expect(ranAt - addedAt).toBeGreaterThanOrEqual(290)
  })

  it.skipIf(!available)('dedupes by job id', async () => {
    const q = await open()
    let runs = 0
    await q.work({ 'demo.once': async () => void runs++ })
    await Promise.all([
      q.add('demo.once', { a: 1 }, { jobId: 'same-id' }),
      q.add('demo.once', { a: 2 }, { jobId: 'same-id' }),
    ])
    await q.addBulk([
      { name: 'demo.once', payload: { a: 3 }, options: { jobId: 'same-id' } },
      { name: 'demo.once', payload: { a: 4 }, options: { jobId: 'other-id' } },
    ])
    await waitFor(() => runs >= 2, 'both distinct jobs')
    await sleep(200)
    await q.add('demo.once', { a: 5 }, { jobId: 'same-id' })
    await sleep(200)
    expect(runs).toBe(2)
  })

  it.skipIf(!available)('repeats a schedule, and re-declaring it does not double it', async () => {
    const q = await open()
    const runs: number[] = []
    await q.work({ 'demo.tick': async () => void runs.push(Date.now()) })
    const declared = Date.now()
    await q.schedule('tick', 'demo.tick', 150)
    await q.schedule('tick', 'demo.tick', 150)
    await waitFor(() => runs.length >= 4, 'four ticks', 20_000, 10)
    // One schedule every 150 ms: ticks fall on BullMQ's 150 ms slots; a doubled schedule would fire twice in one
    // slot, a few ms apart. A tick that runs late next to one on time can come closer than 150 ms (seen: 99 ms),
    // so the bound is far below a slot and far above a doubled schedule's gap.
    const r = runs as [number, number, number, number]
    expect(Math.min(r[2] - r[1], r[3] - r[2])).toBeGreaterThanOrEqual(40)
    expect(r[3] - declared).toBeGreaterThanOrEqual(250)
  })

  it.skipIf(!available)('drains in-flight jobs on close', async () => {
    const q = await open()
    let started = false
    let finished = false
    await q.work({
      'demo.slow': async () => {
        started = true
        await sleep(300)
        finished = true
      },
    })
    await q.add('demo.slow', {})
    await waitFor(() => started, 'the slow job to start')
    await q.close(5000)
    queue = null
    expect(finished).toBe(true)
  })
})
