import { describe, expect, it } from 'vitest'
import { cardActionEvent, type FeishuEnvelopeV2, messageEvent, normaliseEvent, stripMentions } from './events'

const env = (eventType: string, event: Record<string, unknown>): FeishuEnvelopeV2 => ({
  schema: '2.0',
  header: { event_id: 'ev1', event_type: eventType, tenant_key: 'tk', token: 'vt', app_id: 'cli_x' },
  event,
})

const message = (m: Record<string, unknown>) =>
  env('im.message.receive_v1', {
    sender: { sender_id: { open_id: 'ou_a', union_id: 'on_a', user_id: '' }, sender_type: 'user' },
    message: { message_id: 'om_1', chat_id: 'oc_1', chat_type: 'group', message_type: 'text', ...m },
  })

describe('feishu events → neutral events', () => {
  it('strips mention placeholders and decides whether the bot was addressed', () => {
    expect(stripMentions('@_user_1  帮助 @_user_12 ')).toBe('帮助')
    const mentions = [{ key: '@_user_1', id: { open_id: 'ou_bot' }, name: 'bot' }]
    const toBot = messageEvent(message({ content: '{"text":"@_user_1 帮助"}', mentions }), 'ou_bot')
    expect(toBot).toMatchObject({
      kind: 'message',
      platform: 'feishu',
      tenantKey: 'tk',
      eventId: 'ev1',
      messageId: 'om_1',
      chatId: 'oc_1',
      chatType: 'group',
      sender: { openId: 'ou_a', unionId: 'on_a' },
      text: '帮助',
      addressedToBot: true,
    })
    expect(
      messageEvent(message({ content: '{"text":"@_user_1 hi"}', mentions }), 'ou_other')?.addressedToBot,
    ).toBe(false)
    expect(
      messageEvent(message({ chat_type: 'p2p', content: '{"text":"help"}' }), null)?.addressedToBot,
    ).toBe(true)
  })

  it('reads post and location messages', () => {
    const post = messageEvent(
      message({
        chat_type: 'p2p',
        message_type: 'post',
        content: JSON.stringify({
          title: '',
          content: [
            [
              { tag: 'at', user_id: '@_user_1' },
              { tag: 'text', text: ' 我是谁' },
            ],
          ],
        }),
      }),
      null,
    )
    expect(post?.text).toBe('我是谁')
    const loc = messageEvent(
      message({
        chat_type: 'p2p',
        message_type: 'location',
        content: JSON.stringify({ name: '客户公司', latitude: '31.23', longitude: '121.47' }),
      }),
      null,
    )
    expect(loc?.location).toEqual({ lat: 31.23, lng: 121.47, name: '客户公司' })
  })

  it('maps card actions, bot-added and contact events', () => {
    const tap = cardActionEvent(
      env('card.action.trigger', {
        operator: { open_id: 'ou_a', tenant_key: 'tk' },
        token: 'c-1',
        action: {
          tag: 'button',
          value: { a: 'approval.approve', task: 'tsk_1', v: 2 },
          form_value: { comment: 'ok' },
        },
        context: { open_message_id: 'om_9', open_chat_id: 'oc_9' },
      }),
    )
    expect(tap).toEqual({
      kind: 'card_action',
      platform: 'feishu',
      tenantKey: 'tk',
      eventId: 'ev1',
      operator: { openId: 'ou_a' },
      payload: { a: 'approval.approve', task: 'tsk_1', v: 2 },
      formValues: { comment: 'ok' },
      messageId: 'om_9',
      chatId: 'oc_9',
    })
    expect(
      cardActionEvent(env('card.action.trigger', { operator: { open_id: 'ou_a' }, action: { value: {} } })),
    ).toBe(null)
    expect(
      normaliseEvent(
        env('im.chat.member.bot.added_v1', { chat_id: 'oc_2', operator_id: { open_id: 'ou_a' } }),
        null,
      ),
    ).toMatchObject({ kind: 'bot_added', chatId: 'oc_2', operator: { openId: 'ou_a' } })
    expect(
      normaliseEvent(
        env('contact.user.updated_v3', {
          object: { open_id: 'ou_b', name: '李四', department_ids: ['od-1'], status: { is_resigned: true } },
        }),
        null,
      ),
    ).toMatchObject({
      kind: 'contact_changed',
      entity: 'user',
      change: 'updated',
      externalId: 'ou_b',
      data: { openId: 'ou_b', name: '李四', active: false },
    })
    expect(normaliseEvent(env('im.message.reaction.created_v1', {}), null)).toBe(null)
  })
})
