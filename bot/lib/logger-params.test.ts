import { Writable } from 'node:stream'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { errWithoutParams, REDACT_PATHS } from './logger'

describe('error logs', () => {
  it('never carry query parameters, in the error or its cause', () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk))
        done()
      },
    })
    const logger = pino({ redact: REDACT_PATHS, serializers: { err: errWithoutParams } }, sink)
    const cause = Object.assign(new Error('connect ECONNREFUSED'), { parameters: ['13800138000'] })
    const err = new Error('Failed query: select * from users where mobile = $1\nparams: 13800138000,张三', {
      cause,
    })
    logger.error({ err }, 'unhandled error')
    const text = lines.join('')
    expect(text).toContain('Failed query: select * from users')
    expect(text).toContain('ECONNREFUSED')
    expect(text).not.toContain('13800138000')
    expect(text).not.toContain('张三')
  })
})
