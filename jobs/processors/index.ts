import type { Processor } from '../queue'
import { housekeeping } from './housekeeping'
import type { ProcessorDeps } from './types'

export type { ProcessorDeps } from './types'

/** Every job name this system runs, mapped to its processor. */
export function buildProcessors(deps: ProcessorDeps): Record<string, Processor> {
  return {
    'system.housekeeping': housekeeping(deps),
  }
}
