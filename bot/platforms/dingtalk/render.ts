import { chartAsMarkdown } from '../../chat/chart-text'
import type { ActionPayload, AppLink, Card, CardButton, CardElement } from '../../chat/model'
import type { Locale } from '../../domain/locale'

/**
 * Neutral `Card` → the `cardParamMap` of flowcard's one DingTalk card template. DingTalk
 * cards are templates built in the card platform and filled with string variables (every value a string,
 * ≤ 1 KB each), so the card travels as a fixed set of variables:
 *
 * - `title`, `subtitle`, `color`, `tags` (JSON), `summary`, `link` (opens the mini-app), `lang`
 * - `blocks` — how many body blocks follow — and `b0` … `b{n-1}`, each one block as JSON:
 *   `{t:"md",text}`, `{t:"fields",fields:[{label,value,short}]}`, `{t:"hr"}`, `{t:"img",url,alt}`,
 *   `{t:"note",text}`, `{t:"steps",steps}`, `{t:"actions",buttons}`, `{t:"form",name,inputs,buttons}`.
 *
 * A button is `{id, text, style, payload?, url?, disabled?, confirm?}`; the template's "回传请求" action sends
 * `{payload}` back as a callback param (plus the form's inputs), so a tap arrives with the neutral
 * `ActionPayload` as JSON. A block longer than 1 KB is split (markdown by text, lists by items).
 */

export interface DingtalkRenderOptions {
  /** PUBLIC_URL: the mini-app is `${publicUrl}/app${path}`, opened in DingTalk's in-app page. */
  publicUrl?: string
}

/** Template slots for body blocks; more blocks are dropped with a note pointing to the mini-app. */
export const MAX_BLOCKS = 40
export const VALUE_MAX_BYTES = 1024
/** The callback param carrying a button's neutral action (JSON text). */
export const PAYLOAD_PARAM = 'payload'

const bytes = (s: string) => new TextEncoder().encode(s).length

export function appUrl(link: AppLink | { url: string }, options: DingtalkRenderOptions): string {
  if ('url' in link) return link.url
  const base = (options.publicUrl ?? '').replace(/\/+$/, '')
  // The in-app page (pc_slide=true opens the PC side panel).
  return `dingtalk://dingtalkclient/page/link?url=${encodeURIComponent(`${base}/app${link.path}`)}&pc_slide=true`
}

type Block = Record<string, unknown>

function button(b: CardButton, id: string, options: DingtalkRenderOptions): Block {
  const out: Block = { id, text: b.text, style: b.style ?? 'default' }
  if (b.action) out.payload = JSON.stringify(b.action)
  if (b.link) out.url = appUrl(b.link, options)
  if (b.disabled) out.disabled = true
  if (b.confirm) out.confirm = b.confirm
  return out
}

function blocksOf(el: CardElement, index: number, options: DingtalkRenderOptions): Block[] {
  switch (el.type) {
    case 'markdown':
      return [{ t: 'md', text: el.text }]
    case 'note':
      return [{ t: 'note', text: el.text }]
    case 'chart':
      // DingTalk's cards have no chart element: the same figures as a text chart.
      return [{ t: 'md', text: chartAsMarkdown(el.chart) }]
    case 'divider':
      return [{ t: 'hr' }]
    case 'fields':
      return [
        {
          t: 'fields',
          fields: el.fields.map((f) => ({ label: f.label, value: f.value, short: f.short ?? false })),
        },
      ]
    case 'image':
      return el.url ? [{ t: 'img', url: el.url, alt: el.alt }] : [{ t: 'note', text: el.alt }]
    case 'steps':
      return [{ t: 'steps', steps: el.steps }]
    case 'actions':
      return [{ t: 'actions', buttons: el.buttons.map((b, j) => button(b, `b${index}_${j}`, options)) }]
    case 'form':
      return [
        {
          t: 'form',
          name: el.name,
          inputs: el.inputs,
          buttons: el.buttons.map((b, j) => button(b, `f${index}_${j}`, options)),
        },
      ]
  }
}

/** Splits text into pieces whose JSON-encoded block stays under the value limit. */
function splitText(t: string, text: string): Block[] {
  const out: Block[] = []
  let rest = text
  while (rest.length > 0) {
    let n = rest.length
    while (n > 1 && bytes(JSON.stringify({ t, text: rest.slice(0, n) })) > VALUE_MAX_BYTES)
      n = Math.floor(n * 0.8)
    // Prefer a line break inside the piece.
    const nl = n < rest.length ? rest.lastIndexOf('\n', n) : -1
    if (nl > n / 2) n = nl + 1
    out.push({ t, text: rest.slice(0, n) })
    rest = rest.slice(n)
  }
  return out
}

function fitBlock(block: Block): Block[] {
  if (bytes(JSON.stringify(block)) <= VALUE_MAX_BYTES) return [block]
  if ((block.t === 'md' || block.t === 'note') && typeof block.text === 'string')
    return splitText(block.t, block.text)
  for (const listKey of ['fields', 'buttons', 'steps', 'inputs'] as const) {
    const list = block[listKey]
    if (Array.isArray(list) && list.length > 1) {
      const half = Math.ceil(list.length / 2)
      const first: Block = { ...block, [listKey]: list.slice(0, half) }
      const second: Block = { ...block, [listKey]: list.slice(half) }
      // A form split in two keeps its buttons on the last part only.
      if (block.t === 'form' && listKey === 'inputs') first.buttons = []
      return [...fitBlock(first), ...fitBlock(second)]
    }
  }
  // One oversized item: keep what fits of its text.
  const json = JSON.stringify(block)
  return [{ t: 'note', text: json.slice(0, 300) }]
}

export function renderCard(
  card: Card,
  locale: Locale,
  options: DingtalkRenderOptions = {},
): Record<string, string> {
  const blocks: Block[] = []
  card.elements.forEach((el, i) => {
    for (const b of blocksOf(el, i, options)) blocks.push(...fitBlock(b))
  })
  if (blocks.length > MAX_BLOCKS) {
    blocks.length = MAX_BLOCKS - 1
    blocks.push({
      t: 'note',
      text: locale === 'en' ? 'More in the mini-app.' : '内容较多，请在小程序中查看。',
    })
  }
  const map: Record<string, string> = {
    title: card.header.title,
    subtitle: card.header.subtitle ?? '',
    color: card.header.color ?? 'blue',
    tags: JSON.stringify(card.header.tags ?? []),
    summary: card.summary ?? card.header.title,
    link: card.link ? appUrl(card.link, options) : '',
    lang: locale === 'en' ? 'en_US' : 'zh_CN',
    blocks: String(blocks.length),
  }
  blocks.forEach((b, i) => {
    map[`b${i}`] = JSON.stringify(b)
  })
  for (const k of ['title', 'subtitle', 'summary'] as const) {
    while (bytes(map[k] ?? '') > VALUE_MAX_BYTES) map[k] = (map[k] ?? '').slice(0, -10)
  }
  return map
}

/** A plain text message as the same template (one markdown block), so texts get `outTrackId` idempotency too. */
export function renderText(text: string, locale: Locale): Record<string, string> {
  const title = locale === 'en' ? 'flowcard' : 'flowcard 助手'
  return renderCard(
    { header: { title }, elements: [{ type: 'markdown', text }], summary: text.slice(0, 60) },
    locale,
  )
}

/** The neutral action a tap carries, or null when the callback is not one of ours. */
export function payloadOf(params: Record<string, unknown>): ActionPayload | null {
  const raw = params[PAYLOAD_PARAM]
  let value: unknown = raw
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw)
    } catch {
      return null
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
  const rec = value as Record<string, unknown>
  if (typeof rec.a !== 'string' || !rec.a) return null
  const out: ActionPayload = { a: rec.a }
  for (const [k, v] of Object.entries(rec)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v
  }
  return out
}
