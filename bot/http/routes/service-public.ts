import { type Context, Hono } from 'hono'
import { DomainError, InvalidInputError } from '../../domain/errors'
import {
  findIntakeCode,
  getPublicTicket,
  type PublicTicketView,
  rateByToken,
  submitServiceRequest,
} from '../../domain/service'
import { multipartBoundary, parseMultipart } from '../multipart'
import type { AppEnv } from '../types'
import { clientIp, esc } from './lead-intake'

const LABELS: Record<string, string> = {
  name: '联系人',
  phone: '手机号',
  subject: '问题',
  description: '详细描述',
  type: '类型',
  photos: '照片',
  rating: '满意度',
}
/** What the customer reads for each field's error (the page is for the public: Chinese, plain). */
const HINTS: Record<string, string> = {
  name: '请填写联系人',
  phone: '请填写正确的手机号',
  subject: '请简要描述问题',
  type: '请选择类型',
  photos: '请上传 JPEG、PNG、WebP 或 HEIC 图片，最多 3 张，每张不超过 5 MB',
}

const STATUS: Record<string, string> = {
  new: '已受理',
  assigned: '已派单',
  in_progress: '处理中',
  waiting_customer: '等待您的反馈',
  resolved: '已解决',
  closed: '已关闭',
  rejected: '未受理',
  duplicate: '重复工单',
}

const page = (title: string, body: string) =>
  `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:0;padding:16px;max-width:520px;color:#222}label{display:block;margin:10px 0}input,textarea,select{box-sizing:border-box;width:100%;padding:8px;border:1px solid #ccc;border-radius:6px;font:inherit}.hp{position:absolute;left:-9999px}button{background:#1677ff;color:#fff;border:0;border-radius:6px;padding:10px 24px;font:inherit}.error{color:#c00}.done{color:#2a7}ol{padding-left:20px}li{margin:6px 0}.muted{color:#888;font-size:13px}.stars label{display:inline-block;margin-right:10px}.stars input{width:auto}</style>
</head><body><h1 style="font-size:20px">${esc(title)}</h1>${body}</body></html>`

function formPage(opts: {
  code: string
  label: string
  deviceLabel: string | null
  types: string[]
  values?: Record<string, string>
  error?: { field: string; message: string } | null
}): string {
  const v = opts.values ?? {}
  const input = (name: string, type: string, required: boolean, extra = '') =>
    `<label>${LABELS[name]}${required ? ' *' : ''}<input name="${name}" type="${type}" value="${esc(v[name] ?? '')}"${required ? ' required' : ''}${extra}></label>`
  return page(
    opts.label,
    `${opts.deviceLabel ? `<p class="muted">设备：${esc(opts.deviceLabel)}</p>` : ''}
<form method="post" action="/s/${esc(opts.code)}" enctype="multipart/form-data">
${opts.error ? `<p class="error" role="alert" data-field="${esc(opts.error.field)}">${esc(LABELS[opts.error.field.split('.')[0] ?? ''] ?? opts.error.field)}：${esc(HINTS[opts.error.field.split('.')[0] ?? ''] ?? opts.error.message.replace(/^[\w.]+: /, ''))}</p>` : ''}
${input('name', 'text', true, ' maxlength="100" autocomplete="name"')}
${input('phone', 'tel', true, ' maxlength="40" autocomplete="tel"')}
<label>${LABELS.type}<select name="type">${opts.types.map((t) => `<option${v.type === t ? ' selected' : ''}>${esc(t)}</option>`).join('')}</select></label>
${input('subject', 'text', true, ' maxlength="200"')}
<label>${LABELS.description}<textarea name="description" maxlength="5000" rows="4">${esc(v.description ?? '')}</textarea></label>
<label>${LABELS.photos}（最多 3 张，每张 ≤ 5 MB）<input name="photos" type="file" accept="image/*" multiple></label>
<div class="hp" aria-hidden="true"><label>Website<input name="website" tabindex="-1" autocomplete="off"></label></div>
<button type="submit">提交</button>
</form>`,
  )
}

function statusPage(token: string, t: PublicTicketView, note?: string): string {
  const when = (iso: string) =>
    new Date(new Date(iso).getTime() + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ')
  const rows = t.timeline
    .map((e) => {
      const what =
        e.kind === 'created'
          ? '工单已提交'
          : e.kind === 'comment'
            ? `回复：${esc(e.body ?? '')}`
            : e.kind === 'rated'
              ? '已评价'
              : e.kind === 'reopened'
                ? '工单已重新处理'
                : (STATUS[e.status ?? ''] ?? e.status ?? '')
      return `<li><span class="muted">${when(e.at)}</span> ${what}</li>`
    })
    .join('')
  const rate = t.canRate
    ? `<form method="post" action="/s/t/${esc(token)}"><p>请为本次服务评分：</p><div class="stars">${[
        5, 4, 3, 2, 1,
      ]
        .map(
          (n) => `<label><input type="radio" name="rating" value="${n}" required> ${'★'.repeat(n)}</label>`,
        )
        .join(
          '',
        )}</div><label>${LABELS.description}<textarea name="comment" maxlength="1000" rows="3"></textarea></label><button type="submit">提交评价</button></form>`
    : t.rating
      ? `<p class="done">您的评分：${'★'.repeat(t.rating)}，感谢反馈。</p>`
      : ''
  return page(
    `工单 ${t.number}`,
    `${note ? `<p class="done" role="status">${esc(note)}</p>` : ''}<p><b>${esc(t.subject)}</b>（${esc(t.type)}）</p>
<p>当前状态：<b data-status="${esc(t.status)}">${esc(STATUS[t.status] ?? t.status)}</b></p>
${t.resolutionNote ? `<p>处理结果：${esc(t.resolutionNote)}</p>` : ''}<ol>${rows}</ol>${rate}
<p class="muted">请保存本页链接，随时查看进度。</p>`,
  )
}

/**
 * The form's fields (a value sent twice reads as missing) and its non-empty photos: JSON, a multipart body
 * parsed from its bytes ({@link parseMultipart}: no `Request`/`File` per part), or an urlencoded body.
 */
async function readForm(
  c: Context<AppEnv>,
  json: boolean,
): Promise<{ s: (k: string) => string; photos: Array<{ data: Uint8Array }> }> {
  if (json) {
    const raw = (await c.req.json().catch(() => ({}))) as Record<string, unknown>
    return { s: (k) => (typeof raw[k] === 'string' ? raw[k] : ''), photos: [] }
  }
  const boundary = multipartBoundary(c.req.header('content-type'))
  if (boundary) {
    const body = parseMultipart(new Uint8Array(await c.req.arrayBuffer()), boundary)
    if (!body) throw new InvalidInputError('body', 'body: not a well-formed multipart/form-data body')
    return {
      s: (k) => {
        const v = body.fields.get(k)
        return v?.length === 1 ? (v[0] ?? '') : ''
      },
      photos: (body.files.get('photos') ?? []).filter((f) => f.data.byteLength > 0),
    }
  }
  const raw = (await c.req.parseBody({ all: true })) as Record<string, unknown>
  return { s: (k) => (typeof raw[k] === 'string' ? raw[k] : ''), photos: [] }
}

/**
 * The customer's side, without a session: the service form per tenant and per device QR code
 * (`GET/POST /s/{code}`: honeypot, per-address rate limit, photos checked by content and size) and the
 * ticket's status page with the satisfaction rating (`GET/POST /s/t/{token}`; the unguessable token shows
 * that ticket only). JSON in and out when asked (`Accept`/`Content-Type: application/json`).
 */
export function servicePublicRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  const wantsJson = (c: { req: { header(n: string): string | undefined } }) =>
    (c.req.header('content-type') ?? '').includes('application/json') ||
    (c.req.header('accept') ?? '').includes('application/json')

  app.get('/s/t/:token', async (c) => {
    const t = await getPublicTicket({ database: c.get('deps').database, token: c.req.param('token') })
    return wantsJson(c) ? c.json(t, 200) : c.html(statusPage(c.req.param('token'), t))
  })
  app.post('/s/t/:token', async (c) => {
    const deps = c.get('deps')
    const token = c.req.param('token')
    const json = wantsJson(c)
    const raw = json
      ? ((await c.req.json().catch(() => ({}))) as Record<string, unknown>)
      : ((await c.req.parseBody()) as Record<string, unknown>)
    const rating = Number(raw.rating)
    if (!Number.isInteger(rating)) throw new InvalidInputError('rating', 'rating: 1–5')
    const t = await rateByToken({
      database: deps.database,
      clock: deps.clock,
      logger: c.get('logger'),
      token,
      input: { rating, comment: typeof raw.comment === 'string' && raw.comment.trim() ? raw.comment : null },
    })
    return json ? c.json(t, 200) : c.html(statusPage(token, t, '感谢您的评价！'))
  })

  app.get('/s/:code', async (c) => {
    const form = await findIntakeCode(c.get('deps').database, c.req.param('code'), c.get('deps').clock.now())
    return c.html(
      formPage({ code: form.code, label: form.label, deviceLabel: form.deviceLabel, types: form.types }),
    )
  })
  app.post('/s/:code', async (c) => {
    const deps = c.get('deps')
    const code = c.req.param('code')
    const json = wantsJson(c)
    const { s, photos } = await readForm(c, json)
    const fields = {
      name: s('name'),
      phone: s('phone'),
      subject: s('subject'),
      description: s('description') || null,
      type: s('type') || null,
    }
    try {
      if (!deps.storage && photos.length)
        throw new InvalidInputError('photos', 'photos: storage is not configured')
      const r = await submitServiceRequest({
        database: deps.database,
        clock: deps.clock,
        logger: c.get('logger'),
        storage: deps.storage as NonNullable<typeof deps.storage>,
        code,
        ip: clientIp(c),
        input: {
          fields,
          honeypot: s('website'),
          photos,
        },
      })
      if (r.outcome === 'spam')
        return json
          ? c.json({ ok: true }, 202)
          : c.html(page('已提交', '<p class="done">提交成功。</p>'), 202)
      if (json) return c.json({ number: r.number, statusPath: r.statusPath }, 201)
      return c.redirect(r.statusPath ?? '/', 303)
    } catch (err) {
      if (json || !(err instanceof DomainError) || err.code !== 'invalid_input') throw err
      const form = await findIntakeCode(deps.database, code, deps.clock.now())
      return c.html(
        formPage({
          code,
          label: form.label,
          deviceLabel: form.deviceLabel,
          types: form.types,
          values: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v ?? ''])),
          error: { field: err.details.field ?? 'subject', message: err.message },
        }),
        400,
      )
    }
  })
  return app
}
