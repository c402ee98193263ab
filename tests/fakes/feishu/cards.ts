/**
 * Just enough of Feishu's card builder to reject what the real one rejects: bad JSON,
 * oversize bodies, more than 200 elements, and tags that schema 2.0 does not know or no longer supports.
 * Unknown *properties* (also an error in 2.0) are not checked.
 */

/** Tags accepted inside a schema 2.0 `body` (containers, display and interactive components). */
const CARD_V2_TAGS = new Set([
  'column_set',
  'column',
  'collapsible_panel',
  'form',
  'interactive_container',
  'div',
  'markdown',
  'img',
  'img_combination',
  'person',
  'person_list',
  'chart',
  'table',
  'hr',
  'button',
  'input',
  'overflow',
  'select_static',
  'multi_select_static',
  'select_person',
  'multi_select_person',
  'date_picker',
  'picker_time',
  'picker_datetime',
  'select_img',
  'checker',
  'audio',
  'video',
  'rich_text',
])

/** 1.0-only tags that 2.0 refuses with sub-code 200861. */
const CARD_V2_REMOVED = new Set(['action', 'note'])

export const CARD_MAX_ELEMENTS = 200
export const CARD_MAX_BYTES = 30 * 1024
export const TEXT_MAX_BYTES = 150 * 1024

export type CardKind = 'v2' | 'v1' | 'template' | 'card_entity'

export type CardCheck =
  | { ok: true; kind: CardKind; updateMulti: boolean; elementCount: number; card: Record<string, unknown> }
  | { ok: false; code: number; msg: string }

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function buildError(sub: number, text: string, value: string): CardCheck {
  return {
    ok: false,
    code: 230099,
    msg: `Failed to create card content, ext=ErrCode: ${sub}; ErrMsg: ${text}; ErrorValue: ${value}; `,
  }
}

interface Walk {
  count: number
  error?: CardCheck
}

function walkV2(elements: unknown, walk: Walk, depth: number): void {
  if (walk.error || !Array.isArray(elements)) return
  for (const el of elements) {
    if (walk.error) return
    if (!isRecord(el) || typeof el.tag !== 'string') {
      walk.error = buildError(200621, 'element is missing a tag', JSON.stringify(el).slice(0, 60))
      return
    }
    walk.count++
    if (walk.count > CARD_MAX_ELEMENTS) {
      walk.error = buildError(11310, `card contains more than ${CARD_MAX_ELEMENTS} elements`, 'elements')
      return
    }
    if (CARD_V2_REMOVED.has(el.tag)) {
      walk.error = buildError(200861, 'cards of schema V2 no longer support this capability', el.tag)
      return
    }
    if (!CARD_V2_TAGS.has(el.tag)) {
      walk.error = buildError(200861, 'unsupported tag', el.tag)
      return
    }
    if (depth > 5 && (Array.isArray(el.elements) || Array.isArray(el.columns))) {
      walk.error = buildError(11310, 'containers nest more than 5 levels', el.tag)
      return
    }
    walkV2(el.columns, walk, depth + 1)
    walkV2(el.elements, walk, depth + 1)
  }
}

function countV1(elements: unknown): number {
  if (!Array.isArray(elements)) return 0
  let n = 0
  for (const el of elements) {
    n++
    if (isRecord(el)) n += countV1(el.actions) + countV1(el.elements) + countV1(el.columns)
  }
  return n
}

/** Byte length of a string as UTF-8. */
export function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8')
}

/**
 * Validates the `content` string of an `interactive` message or a card PATCH. Returns the parsed card (for
 * `GET` and the recorder) or the Feishu error to send back.
 */
export function checkCardContent(content: string): CardCheck {
  if (utf8Bytes(content) > CARD_MAX_BYTES) {
    return { ok: false, code: 230025, msg: 'The message body exceeds the maximum length (30 KB).' }
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(content)
  } catch {
    return buildError(200621, 'card content is not valid JSON', content.slice(0, 60))
  }
  return checkCardObject(parsed)
}

/** Same checks for an already parsed card (batch_send `card`, delayed update `card`). */
export function checkCardObject(parsed: unknown): CardCheck {
  if (!isRecord(parsed)) return buildError(200621, 'card content must be a JSON object', typeof parsed)
  if (parsed.type === 'template') {
    const data = parsed.data
    if (!isRecord(data) || typeof data.template_id !== 'string' || data.template_id === '') {
      return buildError(200621, 'template card needs data.template_id', 'template_id')
    }
    return { ok: true, kind: 'template', updateMulti: true, elementCount: 0, card: parsed }
  }
  if (parsed.type === 'card') {
    const data = parsed.data
    if (!isRecord(data) || typeof data.card_id !== 'string' || data.card_id === '') {
      return buildError(200621, 'card entity needs data.card_id', 'card_id')
    }
    return { ok: true, kind: 'card_entity', updateMulti: true, elementCount: 0, card: parsed }
  }
  const config = isRecord(parsed.config) ? parsed.config : {}
  if (parsed.schema === '2.0') {
    if ('elements' in parsed || 'i18n_elements' in parsed) {
      return buildError(200861, 'schema 2.0 puts elements under body', 'elements')
    }
    if (config.update_multi === false) {
      return buildError(200861, 'schema 2.0 only supports shared cards (update_multi: true)', 'update_multi')
    }
    const body = isRecord(parsed.body) ? parsed.body : {}
    const walk: Walk = { count: 0 }
    walkV2(body.elements, walk, 1)
    if (walk.error) return walk.error
    return { ok: true, kind: 'v2', updateMulti: true, elementCount: walk.count, card: parsed }
  }
  if (parsed.schema !== undefined) return buildError(200621, 'unknown card schema', String(parsed.schema))
  const count = countV1(parsed.elements)
  if (count > CARD_MAX_ELEMENTS) {
    return buildError(11310, `card contains more than ${CARD_MAX_ELEMENTS} elements`, 'elements')
  }
  return {
    ok: true,
    kind: 'v1',
    updateMulti: config.update_multi === true,
    elementCount: count,
    card: parsed,
  }
}
