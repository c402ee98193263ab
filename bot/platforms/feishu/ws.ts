import lark from '@larksuiteoapi/node-sdk'
import type { Logger } from '../../lib/logger'
import { IngestBatcher } from '../ingest-batch'
import type { FeishuAppConfig } from './client'
import { type FeishuEnvelopeV2, HANDLED_EVENT_TYPES } from './events'
import { type FeishuInboundDeps, handlePayload } from './inbound'

/**
 * Long-connection mode (`FEISHU_MODE=ws`): the SDK's `WSClient` receives events and card
 * callbacks over a WebSocket the app opens, so no public URL is needed. Each frame goes through an
 * `EventDispatcher` to the same handling as the HTTP callbacks: events are recorded and acknowledged with
 * `{}`, card taps answered with `{toast?, card?}` — always an object, or the client shows an error.
 */

const HEADER_KEYS = ['event_id', 'event_type', 'create_time', 'token', 'app_id', 'tenant_key'] as const

/**
 * The dispatcher hands handlers `{...rest, ...header, ...event}`; rebuild the v2 envelope. An event field
 * named like a header field (a card callback's `token`) shadows it — the connection is authenticated by
 * the app secret, so the verification token is not needed here.
 */
export function envelopeFromDispatcher(data: Record<string, unknown>): FeishuEnvelopeV2 {
  const header: Record<string, string> = {}
  const event: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(data)) {
    if ((HEADER_KEYS as readonly string[]).includes(k) && k !== 'token') header[k] = String(v ?? '')
    else if (k !== 'schema') event[k] = v
  }
  if (typeof data.token === 'string' && !data.token.startsWith('c-')) header.token = data.token
  return {
    schema: '2.0',
    header: {
      event_id: header.event_id ?? '',
      event_type: header.event_type ?? '',
      tenant_key: header.tenant_key ?? '',
      ...header,
    },
    event,
  }
}

/** The dispatcher wired to our handling (exported for tests that call `invoke` directly). */
export function feishuEventDispatcher(given: FeishuInboundDeps, logger: Logger): lark.EventDispatcher {
  const deps: FeishuInboundDeps = given.ingest
    ? given
    : { ...given, ingest: new IngestBatcher(given.database.db).ingest }
  const handler = async (data: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const envelope = envelopeFromDispatcher(data) as unknown as Record<string, unknown>
    const reply = await handlePayload(deps, envelope)
    // A 5xx means "not recorded": throwing makes the SDK answer 500 and Feishu push it again.
    if (reply.status >= 500) throw new Error(String(reply.body.error ?? 'not recorded'))
    return reply.body
  }
  const handles: Record<string, (data: Record<string, unknown>) => Promise<Record<string, unknown>>> = {}
  for (const type of HANDLED_EVENT_TYPES) handles[type] = handler
  const dispatcher = new lark.EventDispatcher({ logger: quiet(logger), loggerLevel: lark.LoggerLevel.warn })
  // `card.action.trigger` is missing from the SDK's handler typings (issues #98/#128); it works at runtime.
  return dispatcher.register(handles as unknown as Parameters<lark.EventDispatcher['register']>[0])
}

function quiet(logger: Logger) {
  const at =
    (level: 'debug' | 'warn') =>
    (...args: unknown[]) =>
      logger[level]({ sdk: args.map((a) => (a instanceof Error ? a.message : a)) }, 'feishu ws')
  return { error: at('warn'), warn: at('debug'), info: at('debug'), debug: at('debug'), trace: at('debug') }
}

export interface FeishuLongConnection {
  readonly client: lark.WSClient
  close(): void
}

/** Opens the long connection; it reconnects by itself until {@link FeishuLongConnection.close}. */
export async function startFeishuLongConnection(
  deps: FeishuInboundDeps,
  config: FeishuAppConfig,
  logger: Logger,
): Promise<FeishuLongConnection> {
  const client = new lark.WSClient({
    appId: config.appId,
    appSecret: config.appSecret,
    domain: config.domain.replace(/\/+$/, ''),
    logger: quiet(logger),
    loggerLevel: lark.LoggerLevel.warn,
    onReady: () => logger.info({}, 'feishu long connection ready'),
    onReconnecting: () => logger.warn({}, 'feishu long connection lost, reconnecting'),
    onError: (err: unknown) =>
      logger.error(
        { err: err instanceof Error ? err.message : String(err) },
        'feishu long connection failed',
      ),
  })
  await client.start({ eventDispatcher: feishuEventDispatcher(deps, logger) })
  return {
    client,
    close: () => client.close({ force: true }),
  }
}
