import type { Clock, Logger } from '../../bot/domain/context'
import type { Database } from '../../db/client'
import type { JobQueue } from '../queue'

/** What processors are built from; the entry wires concrete drivers. */
export interface ProcessorDeps {
  database: Database
  queue: JobQueue
  logger: Logger
  clock: Clock
}
