import type { Database } from '../../db/client'
import type { JobQueue } from '../../jobs/queue'
import type { Clock } from '../domain/context'
import type { Env } from '../env'
import type { AppLogger } from '../lib/logger'

/** What the HTTP app is built from; the entry files pick the concrete drivers. */
export interface AppDeps {
  env: Env
  database: Database
  queue: JobQueue
  logger: AppLogger
  clock: Clock
}

export interface AppEnv {
  Variables: {
    deps: AppDeps
    requestId: string
    logger: AppLogger
  }
}
