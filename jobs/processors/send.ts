import { renderView } from '../../bot/cards/views'
import { RateLimitedSendError } from '../../bot/chat/port'
import type { SEND_CARD_UPDATE, SEND_MESSAGE } from '../../bot/domain/chat'
import { type DeliveryPorts, deliverMessage, updateCardCopies } from '../../bot/domain/chat'
import { type ServiceContext, systemContext } from '../../bot/domain/context'
import { DomainError } from '../../bot/domain/errors'
import type { JobPayloadOf } from '../../bot/domain/job-catalogue'
import type { CataloguedProcessor } from '../catalogue'
import { type JobInfo, PermanentJobError, RetryLaterError } from '../queue'
import type { ProcessorDeps } from './types'

/** The delivery ports of a worker: its adapters, the presenters (in the tenant's zone), its delivery hook. */
function deliveryPorts(deps: ProcessorDeps): DeliveryPorts {
  return {
    platform: (name) => deps.platforms.get(name),
    render: renderView,
    ...(deps.onDelivered ? { onDelivered: deps.onDelivered } : {}),
  }
}

const ctxFor = (deps: ProcessorDeps, tenantId: string): ServiceContext =>
  systemContext(
    { db: deps.database.db, clock: deps.clock, logger: deps.logger },
    { tenantId, reason: 'send' },
  )

/** A rate limit waits without using up a try; a missing tenant is not retried. */
function asJobError(err: unknown): unknown {
  if (err instanceof RateLimitedSendError) return new RetryLaterError(err.retryAfterMs, err.message)
  if (err instanceof DomainError && err.code === 'not_found') return new PermanentJobError(err.message)
  return err
}

/** `send.message`: {@link deliverMessage}, the job id as the idempotency key. */
export function sendMessage(deps: ProcessorDeps): CataloguedProcessor<typeof SEND_MESSAGE> {
  const ports = deliveryPorts(deps)
  return async (payload: JobPayloadOf<typeof SEND_MESSAGE>, job: JobInfo): Promise<void> => {
    try {
      await deliverMessage(ctxFor(deps, payload.tenantId), ports, { payload, idempotencyKey: job.id })
    } catch (err) {
      throw asJobError(err)
    }
  }
}

/** `send.card_update`: {@link updateCardCopies}. */
export function updateCard(deps: ProcessorDeps): CataloguedProcessor<typeof SEND_CARD_UPDATE> {
  const ports = deliveryPorts(deps)
  return async (payload: JobPayloadOf<typeof SEND_CARD_UPDATE>): Promise<void> => {
    try {
      await updateCardCopies(ctxFor(deps, payload.tenantId), ports, payload)
    } catch (err) {
      throw asJobError(err)
    }
  }
}
