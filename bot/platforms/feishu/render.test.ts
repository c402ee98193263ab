import { describe, expect, it } from 'vitest'
import { checkCardContent } from '../../../tests/fakes/feishu/cards'
import { helpCard } from '../../cards/help-card'
import type { Card } from '../../chat/model'
import { commands } from '../../commands'
import { appLinkUrl, countElements, MAX_ELEMENTS, renderCard } from './render'

const opts = { appId: 'cli_0123456789abcdef', domain: 'https://open.feishu.cn' }

function valid(card: Record<string, unknown>) {
  const check = checkCardContent(JSON.stringify(card))
  if (!check.ok) throw new Error(`fake card validator refused: ${check.msg}`)
  return check
}

function walk(v: unknown, visit: (el: Record<string, unknown>) => void): void {
  if (Array.isArray(v)) for (const x of v) walk(x, visit)
  else if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>
    if (typeof o.tag === 'string') visit(o)
    for (const x of Object.values(o)) if (typeof x === 'object') walk(x, visit)
  }
}

const everything: Card = {
  header: {
    title: '请假审批',
    subtitle: '张伟 · 3 天',
    color: 'orange',
    tags: [
      { text: '待审批', color: 'orange' },
      { text: '加急', color: 'red' },
    ],
  },
  summary: '张伟的请假申请',
  link: { path: '/approvals/ins_1' },
  elements: [
    { type: 'markdown', text: '**事由**：家中有事' },
    {
      type: 'fields',
      fields: [
        { label: '开始', value: '2026-12-01', short: true },
        { label: '结束', value: '2026-12-03', short: true },
        { label: '备注', value: '<b>not html</b>' },
        { label: '类型', value: '年假', short: true },
      ],
    },
    { type: 'divider' },
    { type: 'image', imageKey: 'img_v3_x', alt: '附件' },
    { type: 'note', text: '提交于 2026-11-26' },
    {
      type: 'steps',
      steps: [
        { title: '提交', state: 'done' },
        { title: '部门经理', detail: '李明', state: 'current' },
        { title: 'HR', state: 'waiting' },
      ],
    },
    {
      type: 'actions',
      buttons: [
        { text: '同意', style: 'primary', action: { a: 'approval.approve', task: 'tsk_1', v: 3 } },
        {
          text: '拒绝',
          style: 'danger',
          action: { a: 'approval.reject', task: 'tsk_1', v: 3 },
          confirm: { title: '确认拒绝？', text: '拒绝后流程结束' },
        },
        { text: '详情', link: { path: '/approvals/ins_1?tab=log' } },
        { text: '官网', link: { url: 'https://example.com' } },
      ],
    },
    {
      type: 'form',
      name: 'comment',
      inputs: [
        { type: 'textarea', name: 'comment', label: '意见', required: true, maxLength: 500 },
        {
          type: 'select',
          name: 'reason',
          label: '原因',
          options: [
            { value: 'a', label: 'A' },
            { value: 'b', label: 'B' },
          ],
        },
        { type: 'date', name: 'until', label: '截止' },
        { type: 'person', name: 'cc', label: '抄送' },
      ],
      buttons: [
        { text: '同意并留言', style: 'primary', action: { a: 'approval.approve', task: 'tsk_1', v: 3 } },
        { text: '拒绝', style: 'danger', action: { a: 'approval.reject', task: 'tsk_1', v: 3 } },
      ],
    },
  ],
}

describe('renderCard (neutral card → Feishu card JSON 2.0)', () => {
  it('renders every element kind into a card the fake card builder accepts', () => {
    const out = renderCard(everything, 'zh-CN', opts)
    const check = valid(out)
    expect(check).toMatchObject({ ok: true, kind: 'v2', updateMulti: true })
    expect(out).toMatchObject({
      schema: '2.0',
      config: { update_multi: true, summary: { content: '张伟的请假申请' } },
      header: {
        template: 'orange',
        title: { tag: 'plain_text', content: '请假审批' },
        text_tag_list: [
          { tag: 'text_tag', text: { content: '待审批' }, color: 'orange' },
          { tag: 'text_tag', color: 'red' },
        ],
      },
      card_link: {
        url: 'https://applink.feishu.cn/client/web_app/open?appId=cli_0123456789abcdef&path=%2Fapprovals%2Fins_1',
      },
    })
    const tags: string[] = []
    const ids = new Set<string>()
    const names: string[] = []
    walk(out.body, (el) => {
      tags.push(String(el.tag))
      if (typeof el.element_id === 'string') {
        expect(ids.has(el.element_id), `duplicate element_id ${el.element_id}`).toBe(false)
        expect(el.element_id).toMatch(/^[A-Za-z][A-Za-z0-9_]{0,19}$/)
        ids.add(el.element_id)
      }
      if (typeof el.name === 'string') names.push(el.name)
    })
    expect(tags).not.toContain('note')
    expect(tags).not.toContain('action')
    expect(new Set(names).size).toBe(names.length)
    // The form is at the root, with a submit button per neutral button carrying the action payload.
    const body = out.body as { elements: Array<Record<string, unknown>> }
    const form = body.elements.find((e) => e.tag === 'form')
    expect(form).toBeDefined()
    const submits: Array<Record<string, unknown>> = []
    walk(form, (el) => {
      if (el.tag === 'button') submits.push(el)
    })
    expect(submits).toHaveLength(2)
    expect(submits[0]).toMatchObject({
      form_action_type: 'submit',
      behaviors: [{ type: 'callback', value: { a: 'approval.approve', task: 'tsk_1', v: 3 } }],
    })
    const textarea = ((form?.elements ?? []) as Array<Record<string, unknown>>).find((e) => e.tag === 'input')
    expect(textarea).toMatchObject({ name: 'comment', input_type: 'multiline_text', required: true })
    // Buttons: callback, confirm, app link with the query forwarded, plain URL.
    const buttons: Array<Record<string, unknown>> = []
    walk(
      body.elements.find((e) => e.tag === 'column_set' && e.flex_mode === 'flow'),
      (el) => {
        if (el.tag === 'button') buttons.push(el)
      },
    )
    expect(buttons.map((b) => b.type)).toEqual(['primary', 'danger', 'default', 'default'])
    expect(buttons[1]?.confirm).toEqual({
      title: { tag: 'plain_text', content: '确认拒绝？' },
      text: { tag: 'plain_text', content: '拒绝后流程结束' },
    })
    expect(buttons[2]?.behaviors).toEqual([
      {
        type: 'open_url',
        default_url:
          'https://applink.feishu.cn/client/web_app/open?appId=cli_0123456789abcdef&path=%2Fapprovals%2Fins_1&tab=log',
      },
    ])
    expect(buttons[3]?.behaviors).toEqual([{ type: 'open_url', default_url: 'https://example.com' }])
    const json = JSON.stringify(out)
    expect(json).toContain('&lt;b&gt;not html&lt;/b&gt;')
    expect(json).toContain("<font color='grey'>提交于 2026-11-26</font>")
    expect(json).toContain('✅ 提交')
    expect(json).toContain('🔵 **部门经理**')
  })

  it('renders the help card valid in both languages', () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      const out = renderCard(helpCard(commands, locale, 'note'), locale, opts)
      valid(out)
      expect(JSON.stringify(out)).toContain('"a":"help.whoami"')
    }
  })

  it('links to Lark and to the public mini-app URL', () => {
    expect(appLinkUrl({ path: '/x' }, { appId: 'cli_1', domain: 'https://open.larksuite.com' })).toBe(
      'https://applink.larksuite.com/client/web_app/open?appId=cli_1&path=%2Fx',
    )
    expect(appLinkUrl({ path: '/crm/c_1' }, { publicUrl: 'https://flow.example.com/' })).toBe(
      'https://flow.example.com/app/crm/c_1',
    )
  })

  it('cuts oversized cards at an element boundary and says so', () => {
    const many: Card = {
      header: { title: 'big' },
      elements: Array.from({ length: 400 }, (_, i) => ({ type: 'markdown' as const, text: `line ${i}` })),
    }
    const out = renderCard(many, 'en', opts)
    valid(out)
    expect(countElements((out.body as { elements: unknown[] }).elements)).toBeLessThanOrEqual(MAX_ELEMENTS)
    expect(JSON.stringify(out)).toContain('Content too long, truncated.')

    const heavy: Card = {
      header: { title: '大' },
      elements: Array.from({ length: 30 }, () => ({
        type: 'markdown' as const,
        text: '很长的文字'.repeat(600),
      })),
    }
    const big = renderCard(heavy, 'zh-CN', opts)
    expect(new TextEncoder().encode(JSON.stringify(big)).byteLength).toBeLessThanOrEqual(30 * 1024)
    valid(big)
    expect(JSON.stringify(big)).toContain('内容过长，已截断。')

    const fields: Card = {
      header: { title: 'fields' },
      elements: [
        {
          type: 'fields',
          fields: Array.from({ length: 300 }, (_, i) => ({ label: `f${i}`, value: 'v', short: true })),
        },
      ],
    }
    valid(renderCard(fields, 'zh-CN', opts))
  })
})

describe('chart elements', () => {
  const chart = (n: number) => ({
    type: 'chart' as const,
    chart: { kind: 'bar' as const, title: `图 ${n}`, points: [{ label: '刘洋', value: 2 }] },
  })

  it('draws a chart as a VChart spec, and any chart past the fifth as text', () => {
    const json = renderCard(
      { header: { title: '报表' }, elements: [1, 2, 3, 4, 5, 6].map(chart) },
      'zh-CN',
    ) as { body: { elements: Array<Record<string, unknown>> } }
    const tags = json.body.elements.map((e) => e.tag)
    expect(tags).toEqual(['chart', 'chart', 'chart', 'chart', 'chart', 'markdown'])
    expect(json.body.elements[0]?.chart_spec).toEqual({
      type: 'bar',
      title: { text: '图 1' },
      data: { values: [{ label: '刘洋', value: 2 }] },
      xField: 'label',
      yField: 'value',
    })
    expect(json.body.elements[5]?.content).toContain('刘洋')
  })
})
