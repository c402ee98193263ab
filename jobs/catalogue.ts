import { type CataloguedJob, type JobPayloadOf, jobCatalogue } from '../bot/domain/job-catalogue'
import type { Logger } from '../bot/lib/logger'
import { type JobInfo, PermanentJobError, type Processor } from './queue'

/**
 * A processor for a catalogued job: the payload is parsed with the job's schema (bot/domain/job-catalogue.ts)
 * before `fn` runs. A payload that does not parse is logged with the fields at fault and the job fails for
 * good (a retry would read the same row); the worker carries on.
 */
export function catalogued<N extends CataloguedJob>(
  name: N,
  logger: Logger,
  fn: (payload: JobPayloadOf<N>, job: JobInfo) => Promise<void>,
): Processor {
  const schema = jobCatalogue[name]
  return async (raw, job) => {
    const parsed = schema.safeParse(raw)
    if (!parsed.success) {
      const fields = parsed.error.issues.map((i) => i.path.join('.') || '(payload)')
      logger.error({ job: name, jobId: job.id, fields }, 'job payload does not match its schema')
      throw new PermanentJobError(`${name}: bad payload (${fields.join(', ')})`)
    }
    await fn(parsed.data as JobPayloadOf<N>, job)
  }
}

/** Wraps every catalogued name of `processors` with its payload schema (see {@link catalogued}). */
export function parsePayloads(
  processors: Record<string, Processor>,
  logger: Logger,
): Record<string, Processor> {
  return Object.fromEntries(
    Object.entries(processors).map(([name, p]) => [
      name,
      name in jobCatalogue ? catalogued(name as CataloguedJob, logger, (payload, job) => p(payload, job)) : p,
    ]),
  )
}
