import { chartAsMarkdown } from '../../chat/chart-text'
import type {
  ActionPayload,
  AppLink,
  Card,
  CardButton,
  CardColor,
  CardElement,
  ChartSpec,
  FormInput,
} from '../../chat/model'
import { MAX_CHARTS_PER_CARD } from '../../chat/model'
import type { Locale } from '../../domain/locale'

/**
 * Neutral `Card` → Feishu card JSON 2.0. Shared cards only (`update_multi: true`, which is
 * what PATCH needs), forms as root-level `form` containers with unique names, at most 200 elements and
 * 30 KB: what does not fit is cut at an element boundary and a note says so. Runtime-neutral, no SDK.
 */

export interface RenderOptions {
  /** `cli_…`; app links open the mini-app through an AppLink when set. */
  appId?: string
  /** FEISHU_DOMAIN: `open.larksuite.com` selects Lark's AppLink host. */
  domain?: string
  /** PUBLIC_URL: the mini-app at `${publicUrl}/app${path}` when there is no app id. */
  publicUrl?: string
}

export type FeishuCardJson = Record<string, unknown>
type El = Record<string, unknown>

export const MAX_ELEMENTS = 200
/** Feishu's documented body limit is 30 KB; keep a margin for the message envelope. */
export const MAX_CARD_BYTES = 29 * 1024
const MAX_MARKDOWN_CHARS = 6000

const HEADER_TEMPLATES: Record<CardColor, string> = {
  blue: 'blue',
  green: 'green',
  red: 'red',
  orange: 'orange',
  grey: 'grey',
  purple: 'purple',
  turquoise: 'turquoise',
  yellow: 'yellow',
}

const TAG_COLORS: Record<CardColor, string> = {
  blue: 'blue',
  green: 'green',
  red: 'red',
  orange: 'orange',
  grey: 'neutral',
  purple: 'purple',
  turquoise: 'turquoise',
  yellow: 'yellow',
}

const STEP_ICONS = {
  done: '✅',
  current: '🔵',
  waiting: '⚪',
  rejected: '❌',
  skipped: '⏭️',
} as const

const plain = (content: string) => ({ tag: 'plain_text', content })

const utf8 = new TextEncoder()
const bytes = (v: unknown): number => utf8.encode(JSON.stringify(v)).byteLength

/** The URL a neutral app link opens: a Feishu/Lark AppLink into the H5 app, or the public mini-app URL. */
export function appLinkUrl(link: AppLink, options: RenderOptions): string {
  const path = link.path.startsWith('/') ? link.path : `/${link.path}`
  if (!options.appId) {
    const base = (options.publicUrl ?? '').replace(/\/+$/, '')
    return `${base}/app${path}`
  }
  const host = options.domain?.includes('larksuite.com') ? 'applink.larksuite.com' : 'applink.feishu.cn'
  // AppLink paths may not carry `?`/`#`; extra query parameters are forwarded to the page instead.
  const [pathOnly = '/', query = ''] = path.split('#')[0]?.split('?') ?? []
  const params = new URLSearchParams({ appId: options.appId, path: pathOnly })
  for (const [k, v] of new URLSearchParams(query)) if (k !== 'appId' && k !== 'path') params.append(k, v)
  return `https://${host}/client/web_app/open?${params.toString()}`
}

class Ids {
  private n = 0
  /** Chart elements placed so far (Feishu draws at most five per card). */
  charts = 0
  next(prefix = 'e'): string {
    this.n++
    return `${prefix}${this.n}`
  }
}

/** Counts components the way Feishu does: every tagged object, nested ones included. */
export function countElements(v: unknown): number {
  if (Array.isArray(v)) return v.reduce((s: number, x) => s + countElements(x), 0)
  if (typeof v !== 'object' || v === null) return 0
  const o = v as El
  let n = typeof o.tag === 'string' && o.tag !== 'plain_text' && o.tag !== 'lark_md' ? 1 : 0
  if (Array.isArray(o.elements)) n += countElements(o.elements)
  if (Array.isArray(o.columns)) n += countElements(o.columns)
  return n
}

function clip(text: string, max = MAX_MARKDOWN_CHARS): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

/** Plain text shown inside lark markdown: neutralise the characters markdown would interpret. */
function escapeMd(text: string): string {
  return text.replace(/[<>]/g, (c) => (c === '<' ? '&lt;' : '&gt;'))
}

function buttonType(style: CardButton['style']): string {
  return style === 'primary' ? 'primary' : style === 'danger' ? 'danger' : 'default'
}

function renderButton(b: CardButton, ids: Ids, options: RenderOptions, form?: { name: string }): El {
  const behaviors: El[] = []
  if (b.action) behaviors.push({ type: 'callback', value: { ...b.action } satisfies ActionPayload })
  if (b.link) {
    const url = 'path' in b.link ? appLinkUrl(b.link, options) : b.link.url
    behaviors.push({ type: 'open_url', default_url: url })
  }
  const el: El = {
    tag: 'button',
    element_id: ids.next('b'),
    text: plain(b.text.slice(0, 100)),
    type: buttonType(b.style),
  }
  if (form) {
    el.name = form.name
    el.form_action_type = 'submit'
  }
  if (behaviors.length > 0) el.behaviors = behaviors
  if (b.disabled) el.disabled = true
  if (b.confirm) el.confirm = { title: plain(b.confirm.title), text: plain(b.confirm.text) }
  return el
}

function buttonRow(buttons: El[], ids: Ids): El {
  return {
    tag: 'column_set',
    element_id: ids.next('r'),
    flex_mode: 'flow',
    horizontal_spacing: '8px',
    columns: buttons.map((b) => ({
      tag: 'column',
      element_id: ids.next('c'),
      width: 'auto',
      elements: [b],
    })),
  }
}

function fieldMarkdown(f: { label: string; value: string }): string {
  return `**${escapeMd(f.label)}**\n${escapeMd(f.value || '—')}`
}

function renderFields(fields: Array<{ label: string; value: string; short?: boolean }>, ids: Ids): El[] {
  const out: El[] = []
  let pair: Array<{ label: string; value: string }> = []
  const flush = () => {
    if (pair.length === 0) return
    out.push({
      tag: 'column_set',
      element_id: ids.next('f'),
      flex_mode: 'none',
      horizontal_spacing: '12px',
      columns: [0, 1].map((i) => {
        const f = pair[i]
        return {
          tag: 'column',
          element_id: ids.next('c'),
          width: 'weighted',
          weight: 1,
          elements: f
            ? [{ tag: 'markdown', element_id: ids.next('m'), content: clip(fieldMarkdown(f)) }]
            : [],
        }
      }),
    })
    pair = []
  }
  for (const f of fields) {
    if (f.short) {
      pair.push(f)
      if (pair.length === 2) flush()
      continue
    }
    flush()
    out.push({ tag: 'markdown', element_id: ids.next('m'), content: clip(fieldMarkdown(f)) })
  }
  flush()
  return out
}

function uniqueName(wanted: string, used: Set<string>): string {
  const base = wanted || 'field'
  let name = base
  for (let i = 2; used.has(name); i++) name = `${base}_${i}`
  used.add(name)
  return name
}

function renderInput(input: FormInput, name: string, ids: Ids): El[] {
  const placeholder = input.placeholder ? { placeholder: plain(input.placeholder.slice(0, 100)) } : {}
  const required = input.required ? { required: true } : {}
  const label: El = {
    tag: 'markdown',
    element_id: ids.next('l'),
    content: `**${escapeMd(input.label)}**${input.required ? " <font color='red'>*</font>" : ''}`,
  }
  const options = (input.options ?? []).map((o) => ({ text: plain(o.label), value: o.value }))
  switch (input.type) {
    case 'text':
    case 'number':
    case 'textarea':
      return [
        {
          tag: 'input',
          element_id: ids.next('i'),
          name,
          label: plain(input.label),
          label_position: 'top',
          input_type: input.type === 'textarea' ? 'multiline_text' : 'text',
          ...(input.type === 'textarea' ? { rows: 3 } : {}),
          ...(input.defaultValue !== undefined ? { default_value: input.defaultValue } : {}),
          ...(input.maxLength ? { max_length: Math.min(1000, Math.max(1, input.maxLength)) } : {}),
          ...placeholder,
          ...required,
        },
      ]
    case 'select':
      return [
        label,
        {
          tag: 'select_static',
          element_id: ids.next('i'),
          name,
          options,
          ...(input.defaultValue ? { initial_option: input.defaultValue } : {}),
          ...placeholder,
          ...required,
        },
      ]
    case 'multiselect':
      return [
        label,
        {
          tag: 'multi_select_static',
          element_id: ids.next('i'),
          name,
          options,
          ...(input.defaultValue ? { selected_values: input.defaultValue.split(',') } : {}),
          ...placeholder,
          ...required,
        },
      ]
    case 'date':
      return [
        label,
        {
          tag: 'date_picker',
          element_id: ids.next('i'),
          name,
          ...(input.defaultValue ? { initial_date: input.defaultValue } : {}),
          ...placeholder,
          ...required,
        },
      ]
    case 'datetime':
      return [
        label,
        {
          tag: 'picker_datetime',
          element_id: ids.next('i'),
          name,
          ...(input.defaultValue ? { initial_datetime: input.defaultValue } : {}),
          ...placeholder,
          ...required,
        },
      ]
    case 'person':
      return [label, { tag: 'select_person', element_id: ids.next('i'), name, ...placeholder, ...required }]
  }
}

function renderElement(
  el: CardElement,
  ids: Ids,
  options: RenderOptions,
  names: Set<string>,
  locale: Locale,
): El[] {
  switch (el.type) {
    case 'markdown':
      return [{ tag: 'markdown', element_id: ids.next('m'), content: clip(el.text) }]
    case 'fields':
      return renderFields(el.fields, ids)
    case 'divider':
      return [{ tag: 'hr', element_id: ids.next('h') }]
    case 'chart':
      // Feishu draws at most five charts in a card; any further one goes as text.
      if (ids.charts++ >= MAX_CHARTS_PER_CARD)
        return [{ tag: 'markdown', element_id: ids.next('m'), content: clip(chartAsMarkdown(el.chart)) }]
      return [
        { tag: 'chart', element_id: ids.next('c'), aspect_ratio: '16:9', chart_spec: chartSpec(el.chart) },
      ]
    case 'image':
      if (el.imageKey) {
        return [{ tag: 'img', element_id: ids.next('p'), img_key: el.imageKey, alt: plain(el.alt) }]
      }
      return el.url && /^https?:\/\//.test(el.url)
        ? [{ tag: 'markdown', element_id: ids.next('m'), content: `[${escapeMd(el.alt)}](${el.url})` }]
        : []
    case 'note':
      return [
        {
          tag: 'markdown',
          element_id: ids.next('n'),
          text_size: 'notation',
          content: `<font color='grey'>${clip(el.text, 2000)}</font>`,
        },
      ]
    case 'actions': {
      if (el.buttons.length === 0) return []
      return [
        buttonRow(
          el.buttons.map((b) => renderButton(b, ids, options)),
          ids,
        ),
      ]
    }
    case 'form': {
      // Inputs keep their names (they are the keys of form_value); containers and buttons give way.
      const children: El[] = []
      for (const input of el.inputs) children.push(...renderInput(input, uniqueName(input.name, names), ids))
      const formName = uniqueName(`form_${el.name}`, names)
      const buttons = el.buttons.map((b) =>
        renderButton(b, ids, options, { name: uniqueName(`${formName}_submit`, names) }),
      )
      if (buttons.length === 0) {
        buttons.push(
          renderButton({ text: locale === 'en' ? 'Submit' : '提交', style: 'primary' }, ids, options, {
            name: uniqueName(`${formName}_submit`, names),
          }),
        )
      }
      children.push(buttonRow(buttons, ids))
      return [{ tag: 'form', element_id: ids.next('form'), name: formName, elements: children }]
    }
    case 'steps': {
      const lines = el.steps.map((s) => {
        const detail = s.detail ? `  <font color='grey'>${escapeMd(s.detail)}</font>` : ''
        const title = s.state === 'current' ? `**${escapeMd(s.title)}**` : escapeMd(s.title)
        return `${STEP_ICONS[s.state]} ${title}${detail}`
      })
      return lines.length > 0
        ? [{ tag: 'markdown', element_id: ids.next('s'), content: clip(lines.join('\n')) }]
        : []
    }
  }
}

/** A neutral chart as a VChart spec (data values, fields; no JavaScript, which cards refuse). */
export function chartSpec(chart: ChartSpec): El {
  const values = chart.points.map((p) => ({
    label: p.label,
    value: chart.unit === 'cents' ? Math.round(p.value) / 100 : p.value,
  }))
  const title = chart.title ? { title: { text: chart.title } } : {}
  if (chart.kind === 'pie')
    return { type: 'pie', ...title, data: { values }, valueField: 'value', categoryField: 'label' }
  return { type: chart.kind, ...title, data: { values }, xField: 'label', yField: 'value' }
}

/** Renders a neutral card as Feishu card JSON 2.0, within Feishu's element and size limits. */
export function renderCard(card: Card, locale: Locale, options: RenderOptions = {}): FeishuCardJson {
  const ids = new Ids()
  const names = new Set<string>()
  const header: El = { title: plain(clip(card.header.title, 200)), template: 'blue' }
  if (card.header.color) header.template = HEADER_TEMPLATES[card.header.color]
  if (card.header.subtitle) header.subtitle = plain(clip(card.header.subtitle, 200))
  if (card.header.tags?.length) {
    header.text_tag_list = card.header.tags.slice(0, 3).map((tag) => ({
      tag: 'text_tag',
      text: plain(tag.text),
      color: TAG_COLORS[tag.color ?? 'blue'],
    }))
  }
  const config: El = { update_multi: true }
  if (card.summary) config.summary = { content: clip(card.summary, 100) }
  const root: FeishuCardJson = { schema: '2.0', config, header, body: { elements: [] as El[] } }
  if (card.link) root.card_link = { url: appLinkUrl(card.link, options) }

  const truncatedNote = (): El => ({
    tag: 'markdown',
    element_id: 'truncated',
    text_size: 'notation',
    content: `<font color='grey'>${
      locale === 'en' ? 'Content too long, truncated.' : '内容过长，已截断。'
    }${card.link ? ` [${locale === 'en' ? 'Open in app' : '在小程序中查看'}](${appLinkUrl(card.link, options)})` : ''}</font>`,
  })
  const reserveCount = countElements(truncatedNote())
  const reserveBytes = bytes(truncatedNote()) + 2
  let usedCount = 0
  let usedBytes = bytes(root)
  const out: El[] = []
  let truncated = false
  for (const el of card.elements) {
    const rendered = renderElement(el, ids, options, names, locale)
    for (const r of rendered) {
      const n = countElements(r)
      const b = bytes(r) + 1
      if (usedCount + n + reserveCount > MAX_ELEMENTS || usedBytes + b + reserveBytes > MAX_CARD_BYTES) {
        truncated = true
        break
      }
      out.push(r)
      usedCount += n
      usedBytes += b
    }
    if (truncated) break
  }
  if (truncated) out.push(truncatedNote())
  root.body = { elements: out }
  return root
}
