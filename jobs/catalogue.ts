import { type CataloguedJob, type JobPayloadOf, jobCatalogue } from '../bot/domain/job-catalogue'
import type { Logger } from '../bot/lib/logger'
import { type JobInfo, type JobPayload, PermanentJobError, type Processor } from './queue'

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

/** A processor of one catalogued job, handed its parsed payload. */
export type CataloguedProcessor<N extends CataloguedJob> = (
  payload: JobPayloadOf<N>,
  job: JobInfo,
) => Promise<void>
/** Processors by job name, each typed by its name's payload schema. */
export type CataloguedProcessors = { [N in CataloguedJob]?: CataloguedProcessor<N> }

/**
 * Declares processors of catalogued jobs: each handler's payload is typed by its job's schema. The parsing
 * itself happens once, where the processors are wired ({@link parsePayloads} in `buildProcessors`).
 */
export function processors(handlers: CataloguedProcessors): Record<string, Processor> {
  return handlers as Record<string, Processor>
}

/** Names in `processors` that the job catalogue does not declare. */
export function undeclaredJobs(processors: Record<string, Processor>): string[] {
  return Object.keys(processors).filter((name) => !Object.hasOwn(jobCatalogue, name))
}

/**
 * Wraps every processor with its job's payload schema (see {@link catalogued}). A name the catalogue does
 * not declare is refused: every job's payload is declared once, in bot/domain/job-catalogue.ts.
 */
export function parsePayloads(
  processors: Record<string, Processor>,
  logger: Logger,
): Record<string, Processor> {
  const undeclared = undeclaredJobs(processors)
  if (undeclared.length > 0)
    throw new Error(`jobs without a payload schema in bot/domain/job-catalogue.ts: ${undeclared.join(', ')}`)
  return Object.fromEntries(
    Object.entries(processors).map(([name, p]) => [
      name,
      catalogued(name as CataloguedJob, logger, (payload, job) => p(payload as JobPayload, job)),
    ]),
  )
}
