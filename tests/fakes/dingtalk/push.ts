import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto'

/**
 * Builds what DingTalk pushes to our HTTP endpoints, signed and encrypted like the real platform
 *. Written independently of the bot's own crypto so a mistake there shows.
 */

export interface DingtalkPush {
  path: string
  headers: Record<string, string>
  body: string
}

export interface PushContext {
  appKey: string
  appSecret: string
  corpId: string
  /** Event subscription token and EncodingAESKey (43 chars). */
  token: string
  aesKey: string
  /** The card callback `apiSecret` registered with the route key. */
  cardApiSecret: string
  /** Where a robot message's `sessionWebhook` points (the fake's URL; DingTalk's oapi host by default). */
  sessionWebhookBase?: string
  now?: () => number
}

export interface RobotMessageInput {
  text: string
  senderStaffId: string
  senderNick?: string
  conversationType?: '1' | '2'
  conversationId?: string
  conversationTitle?: string
  msgId?: string
  isInAtList?: boolean
  /** Override the signing secret (a bad signature) or the timestamp (a stale push). */
  signWith?: string
  timestamp?: number
}

export const toRequestInit = (p: DingtalkPush): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...p.headers },
  body: p.body,
})

export function createDingtalkPushBuilder(ctx: PushContext) {
  const clock = ctx.now ?? Date.now
  let last = 0
  /** Strictly increasing: two pushes never share a signed timestamp (each signature is single-use). */
  const now = () => {
    last = Math.max(clock(), last + 1)
    return last
  }
  let n = 0

  function robotMessage(
    input: RobotMessageInput,
    path = '/webhooks/dingtalk/events',
  ): DingtalkPush & { msgId: string } {
    const timestamp = String(input.timestamp ?? now())
    const secret = input.signWith ?? ctx.appSecret
    const sign = createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64')
    const group = input.conversationType === '2'
    const msgId = input.msgId ?? `msg${randomBytes(10).toString('base64url')}`
    const createAt = Number(timestamp)
    const payload = {
      conversationId:
        input.conversationId ??
        `cid${createHash('sha1').update(input.senderStaffId).digest('base64url').slice(0, 22)}`,
      atUsers: group ? [{ dingtalkId: `$:LWCP_v1:$bot${ctx.appKey}` }] : [],
      chatbotCorpId: ctx.corpId,
      chatbotUserId: `$:LWCP_v1:$bot${ctx.appKey}`,
      msgId,
      senderNick: input.senderNick ?? input.senderStaffId,
      isAdmin: false,
      senderStaffId: input.senderStaffId,
      sessionWebhookExpiredTime: createAt + 90 * 60_000,
      createAt,
      senderCorpId: ctx.corpId,
      conversationType: input.conversationType ?? '1',
      senderId: `$:LWCP_v1:$${input.senderStaffId}`,
      ...(group ? { conversationTitle: input.conversationTitle ?? '群聊' } : {}),
      isInAtList: input.isInAtList ?? true,
      sessionWebhook: `${ctx.sessionWebhookBase ?? 'https://oapi.dingtalk.com'}/robot/sendBySession?session=${msgId}`,
      // Groups put a space where the @mention was.
      text: { content: group ? ` ${input.text}` : input.text },
      robotCode: ctx.appKey,
      msgtype: 'text',
    }
    return { path, headers: { timestamp, sign }, body: JSON.stringify(payload), msgId }
  }

  function cardTap(input: {
    outTrackId: string
    userId: string
    actionId?: string
    params: Record<string, unknown>
    spaceType?: string
    spaceId?: string
    signWith?: string
    timestamp?: number
  }): DingtalkPush {
    const timestamp = String(input.timestamp ?? now())
    const signature = createHmac('sha256', input.signWith ?? ctx.cardApiSecret)
      .update(timestamp)
      .digest('base64')
    const body = {
      type: 'actionCallback',
      outTrackId: input.outTrackId,
      corpId: ctx.corpId,
      userId: input.userId,
      ...(input.spaceType ? { spaceType: input.spaceType } : {}),
      ...(input.spaceId ? { spaceId: input.spaceId } : {}),
      content: JSON.stringify({
        cardPrivateData: { actionIds: [input.actionId ?? 'btn'], params: input.params },
      }),
    }
    return {
      path: '/webhooks/dingtalk/cards',
      headers: { 'x-ddpaas-signature-timestamp': timestamp, 'x-ddpaas-signature': signature },
      body: JSON.stringify(body),
    }
  }

  function encrypt(plaintext: string): string {
    const key = Buffer.from(`${ctx.aesKey}=`, 'base64')
    const msg = Buffer.from(plaintext, 'utf8')
    const len = Buffer.alloc(4)
    len.writeUInt32BE(msg.length)
    const raw = Buffer.concat([randomBytes(16), len, msg, Buffer.from(ctx.appKey)])
    const pad = 32 - (raw.length % 32)
    const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16))
    cipher.setAutoPadding(false)
    return Buffer.concat([
      cipher.update(Buffer.concat([raw, Buffer.alloc(pad, pad)])),
      cipher.final(),
    ]).toString('base64')
  }

  const sha1Sign = (timestamp: string, nonce: string, enc: string, token = ctx.token) =>
    createHash('sha1').update([token, timestamp, nonce, enc].sort().join('')).digest('hex')

  /** An HTTP event-subscription push: `{encrypt}` with `msg_signature`/`timestamp`/`nonce` in the query. */
  function event(
    payload: Record<string, unknown>,
    options: {
      token?: string
      timestamp?: number
      reuse?: { encrypt: string; nonce: string; timestamp: string }
      /** The query variant some pushes use: `signature` instead of `msg_signature`. */
      signatureParam?: 'msg_signature' | 'signature'
    } = {},
  ): DingtalkPush & { encrypt: string; nonce: string; timestamp: string } {
    const timestamp = options.reuse?.timestamp ?? String(options.timestamp ?? now())
    const nonce = options.reuse?.nonce ?? `n${++n}${randomBytes(4).toString('hex')}`
    const enc = options.reuse?.encrypt ?? encrypt(JSON.stringify(payload))
    const sig = sha1Sign(timestamp, nonce, enc, options.token)
    const q = new URLSearchParams({ [options.signatureParam ?? 'msg_signature']: sig, timestamp, nonce })
    return {
      path: `/webhooks/dingtalk/events?${q}`,
      headers: {},
      body: JSON.stringify({ encrypt: enc }),
      encrypt: enc,
      nonce,
      timestamp,
    }
  }

  /** Checks our answer to an event push the way DingTalk does: signature, then decrypts to "success". */
  function openAnswer(answer: Record<string, unknown>): string | null {
    const { msg_signature, timeStamp, nonce, encrypt: enc } = answer
    if (
      typeof msg_signature !== 'string' ||
      typeof timeStamp !== 'string' ||
      typeof nonce !== 'string' ||
      typeof enc !== 'string'
    )
      return null
    if (sha1Sign(timeStamp, nonce, enc) !== msg_signature) return null
    const key = Buffer.from(`${ctx.aesKey}=`, 'base64')
    const d = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16))
    d.setAutoPadding(false)
    const plain = Buffer.concat([d.update(Buffer.from(enc, 'base64')), d.final()])
    const body = plain.subarray(0, plain.length - (plain[plain.length - 1] ?? 0))
    const len = body.readUInt32BE(16)
    if (body.subarray(20 + len).toString() !== ctx.appKey) return null
    return body.subarray(20, 20 + len).toString('utf8')
  }

  /**
   * A contact event in the new console's HTTP shape: `{EventType, EventTime, CorpId, BizId, eventId}` plus
   * `userId: string[]` or `deptId: number[]`.
   */
  function contactEvent(
    type: string,
    ids: { userId?: string[]; deptId?: number[] },
    eventId = `evt${randomBytes(8).toString('hex')}`,
  ): Record<string, unknown> {
    return {
      EventType: type,
      EventTime: now(),
      CorpId: ctx.corpId,
      BizId: ctx.appKey,
      eventId,
      ...(ids.userId ? { userId: ids.userId } : {}),
      ...(ids.deptId ? { deptId: ids.deptId } : {}),
    }
  }

  return { ctx, robotMessage, cardTap, event, contactEvent, openAnswer }
}
