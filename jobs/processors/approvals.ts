import { lookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'
import {
  APPROVAL_ESCALATE,
  APPROVAL_FINISHED,
  APPROVAL_REMIND,
  APPROVAL_WEBHOOK,
  deliverWebhook,
  escalateTask,
  handleApprovalFinished,
  remindTask,
  type WebhookPost,
} from '../../bot/domain/approvals'
import { type ServiceContext, systemContext } from '../../bot/domain/context'
import { processors } from '../catalogue'
import { type JobPayload, PermanentJobError, type Processor } from '../queue'
import type { ProcessorDeps } from './types'

function systemCtx(deps: ProcessorDeps, payload: JobPayload, reason: string): ServiceContext {
  const tenantId = payload.tenantId
  if (typeof tenantId !== 'string') throw new PermanentJobError('payload has no tenantId')
  return systemContext({ db: deps.database.db, clock: deps.clock, logger: deps.logger }, { tenantId, reason })
}

/** Address ranges a webhook may not reach when only public targets are allowed. */
const PRIVATE = new BlockList()
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 3],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv4')
for (const [net, bits] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv6')

export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1]
  if (mapped) return PRIVATE.check(mapped, 'ipv4')
  const family = isIP(address)
  return family === 4 ? PRIVATE.check(address, 'ipv4') : family === 6 ? PRIVATE.check(address, 'ipv6') : true
}

/** Throws (a failed attempt, recorded with this reason) when the URL's host is or resolves to a private address. */
async function refusePrivateTarget(url: string): Promise<void> {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '')
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address)
  const bad = addresses.find(isPrivateAddress)
  if (bad !== undefined) throw new Error(`refused: ${host} resolves to the private address ${bad}`)
}

/**
 * POSTs an approval webhook with Node's fetch (undici): a hard timeout, no redirects followed (a redirect is
 * a failed attempt, so a webhook cannot be bounced to another host), the answer read up to a small limit.
 */
export function webhookPoster(timeoutMs = 10_000, publicOnly = false): WebhookPost {
  return async ({ url, headers, body }) => {
    if (publicOnly) await refusePrivateTarget(url)
    const res = await fetch(url, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    }).catch((err: Error) => {
      const cause = (err.cause as Error | undefined)?.message
      throw new Error(
        err.name === 'TimeoutError'
          ? `timed out after ${timeoutMs} ms`
          : cause
            ? `${err.message}: ${cause}`
            : err.message,
      )
    })
    const text = await res.text().catch(() => '')
    return { status: res.status, text: text.slice(0, 1000) }
  }
}

/**
 * Approval jobs. Reminders and escalations are outbox rows with `availableAt` in the future, so they
 * survive restarts; each re-checks the task's state and version and does nothing if it moved on.
 */
export function approvalProcessors(deps: ProcessorDeps): Record<string, Processor> {
  const post = webhookPoster(deps.webhookTimeoutMs, deps.webhookPublicOnly ?? false)
  return processors({
    /** One delivery attempt. HTTP failures schedule the next attempt themselves (a due outbox row); only a
     * database error makes the queue retry the job. */
    [APPROVAL_WEBHOOK]: async (payload) => {
      const ctx = systemCtx(deps, payload, 'approval webhook')
      const outcome = await deliverWebhook({
        ctx,
        input: { deliveryId: payload.deliveryId, attempt: payload.attempt },
        post,
      })
      deps.logger.debug(
        { deliveryId: payload.deliveryId, attempt: payload.attempt, outcome },
        'approval webhook',
      )
    },
    [APPROVAL_REMIND]: async (payload) => {
      const ctx = systemCtx(deps, payload, 'approval reminder')
      await remindTask({
        ctx,
        input: { taskId: payload.taskId, taskVersion: payload.taskVersion },
      })
    },
    [APPROVAL_ESCALATE]: async (payload) => {
      const ctx = systemCtx(deps, payload, 'approval escalation')
      const outcome = await escalateTask({
        ctx,
        input: { taskId: payload.taskId, taskVersion: payload.taskVersion },
      })
      deps.logger.debug({ taskId: payload.taskId, outcome }, 'approval escalation')
    },
    [APPROVAL_FINISHED]: async (payload) => {
      const ctx = systemCtx(deps, payload, 'approval finished')
      const { tenantId: _t, ...event } = payload
      await handleApprovalFinished({ ctx, input: event })
    },
  })
}
