import { describe, expect, it } from 'vitest'
import { SEND_MESSAGE } from '../bot/domain/chat'
import { jobCatalogue } from '../bot/domain/job-catalogue'
import { NOTICE_TOPICS } from '../bot/domain/notices'
import { catalogued, parsePayloads, undeclaredJobs } from './catalogue'
import { buildProcessors, type ProcessorDeps } from './processors'
import { PermanentJobError } from './queue'

function recordingLogger() {
  const errors: Array<{ obj: object; msg?: string }> = []
  const noop = () => {}
  return {
    errors,
    logger: {
      debug: noop,
      info: noop,
      warn: noop,
      error: (obj: object, msg?: string) => errors.push({ obj, msg }),
    },
  }
}
const job = { id: 'job_1', name: SEND_MESSAGE, attempt: 1, maxAttempts: 3 }

describe('the job catalogue', () => {
  it('hands a processor the parsed payload', async () => {
    const { logger } = recordingLogger()
    const seen: unknown[] = []
    const p = catalogued(SEND_MESSAGE, logger, async (payload) => {
      seen.push(payload.content.kind === 'text' ? payload.content.text : null)
    })
    await p({ tenantId: 't1', to: { userId: 'u1' }, content: { kind: 'text', text: '你好' } }, job)
    expect(seen).toEqual(['你好'])
  })

  it('logs and fails a malformed payload for good, naming the fields, without running the processor', async () => {
    const { logger, errors } = recordingLogger()
    let ran = false
    const p = parsePayloads(
      {
        [NOTICE_TOPICS.fanout]: async () => {
          ran = true
        },
      },
      logger,
    )[NOTICE_TOPICS.fanout]
    const err = await p?.({ tenantId: 't1', noticeId: 'ntc_1', seq: 'two' }, job).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PermanentJobError)
    expect(ran).toBe(false)
    expect(errors).toHaveLength(1)
    expect(errors[0]?.obj).toMatchObject({ job: NOTICE_TOPICS.fanout, fields: ['seq'] })
  })

  it('declares every job a processor exists for, and has a processor for every declared job', () => {
    const { logger } = recordingLogger()
    // Building the processors touches none of the dependencies.
    const built = buildProcessors({ logger, clock: { now: () => new Date(0) } } as unknown as ProcessorDeps)
    expect(undeclaredJobs(built)).toEqual([])
    expect(Object.keys(built).sort()).toEqual(Object.keys(jobCatalogue).sort())
  })

  it('refuses to wire a processor whose job name is not declared', () => {
    const { logger } = recordingLogger()
    expect(() => parsePayloads({ 'crm.not_declared': async () => {} }, logger)).toThrow(/crm\.not_declared/)
  })

  it.each(Object.keys(jobCatalogue))('rejects a bad %s payload', (name) => {
    const schema = jobCatalogue[name as keyof typeof jobCatalogue]
    expect(schema.safeParse({ tenantId: 42 }).success).toBe(false)
  })
})
