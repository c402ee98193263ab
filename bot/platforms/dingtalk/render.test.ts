import { describe, expect, it } from 'vitest'
import type { Card } from '../../chat/model'
import { MAX_BLOCKS, payloadOf, renderCard, VALUE_MAX_BYTES } from './render'

const bytes = (s: string) => new TextEncoder().encode(s).length

describe('DingTalk card renderer', () => {
  const card: Card = {
    header: { title: '请假审批', subtitle: '张三', color: 'orange', tags: [{ text: '待审批' }] },
    link: { path: '/approvals/ins_1' },
    elements: [
      { type: 'fields', fields: [{ label: '天数', value: '3' }] },
      {
        type: 'actions',
        buttons: [
          { text: '同意', style: 'primary', action: { a: 'approval.approve', task: 'tsk_1', v: 2 } },
          { text: '查看', link: { path: '/approvals/ins_1' } },
        ],
      },
    ],
  }

  it('fills string-only variables with the action payload on buttons and in-app links', () => {
    const map = renderCard(card, 'zh-CN', { publicUrl: 'https://flow.example.com/' })
    for (const v of Object.values(map)) expect(typeof v).toBe('string')
    expect(map).toMatchObject({ title: '请假审批', color: 'orange', lang: 'zh_CN', blocks: '2' })
    expect(map.link).toBe(
      `dingtalk://dingtalkclient/page/link?url=${encodeURIComponent('https://flow.example.com/app/approvals/ins_1')}&pc_slide=true`,
    )
    const actions = JSON.parse(map.b1 ?? '{}') as { buttons: Array<Record<string, unknown>> }
    expect(payloadOf({ payload: actions.buttons[0]?.payload })).toEqual({
      a: 'approval.approve',
      task: 'tsk_1',
      v: 2,
    })
    expect(actions.buttons[1]?.url).toContain('dingtalk://dingtalkclient/page/link')
    expect(renderCard(card, 'en').lang).toBe('en_US')
  })

  it('keeps every value within 1 KB and the block count within the template slots', () => {
    const long: Card = {
      header: { title: '帮助' },
      elements: [
        { type: 'markdown', text: '很长的说明。\n'.repeat(400) },
        {
          type: 'fields',
          fields: Array.from({ length: 60 }, (_, i) => ({ label: `字段${i}`, value: '值'.repeat(20) })),
        },
      ],
    }
    const map = renderCard(long, 'zh-CN')
    for (const v of Object.values(map)) expect(bytes(v)).toBeLessThanOrEqual(VALUE_MAX_BYTES)
    expect(Number(map.blocks)).toBeLessThanOrEqual(MAX_BLOCKS)
    const small = renderCard(
      { header: { title: 'x' }, elements: [{ type: 'markdown', text: 'a'.repeat(3000) }] },
      'zh-CN',
    )
    const text = Array.from(
      { length: Number(small.blocks) },
      (_, i) => (JSON.parse(small[`b${i}`] ?? '{}') as { text: string }).text,
    ).join('')
    expect(text).toBe('a'.repeat(3000))
  })

  it('rejects callbacks without our payload', () => {
    expect(payloadOf({})).toBeNull()
    expect(payloadOf({ payload: 'not json' })).toBeNull()
    expect(payloadOf({ payload: '{"x":1}' })).toBeNull()
  })
})
