import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { DomainError, InvalidInputError } from '../../domain/errors'
import { findFormChannel, MAX_LEADS_PER_PUSH, receiveIntake, submitFormLead } from '../../domain/leads'
import { clientAddress } from '../client-address'
import { errorResponses, secretUnavailableResponse } from '../schemas'
import type { AppEnv } from '../types'
import { IntakeBatchResultSchema, IntakeResultSchema } from './leads-schemas'

const STATUS = { created: 201, touch: 200, replay: 200, spam: 202 } as const

/** The client's address (`TRUST_PROXY` decides whether a proxy's `X-Forwarded-For` counts). */
export const clientIp = (c: Context<AppEnv>): string => clientAddress(c)

export const esc = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] ?? ch,
  )

const UTM_KEYS = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term'] as const

const FIELD_LABELS: Record<string, string> = {
  name: '姓名',
  phone: '手机号',
  email: '邮箱',
  company: '公司',
  message: '需求',
  consent: '同意联系',
}

/** The embeddable form page: a few fields, a hidden honeypot, the page's UTM values, consent. */
export function formPage(opts: {
  formKey: string
  channelName: string
  utm: Record<string, string>
  values?: Record<string, string>
  error?: { field: string; message: string } | null
  done?: boolean
}): string {
  const v = opts.values ?? {}
  const input = (name: string, type: string, required: boolean, extra = '') =>
    `<label>${FIELD_LABELS[name]}${required ? ' *' : ''}<input name="${name}" type="${type}" value="${esc(v[name] ?? '')}"${required ? ' required' : ''}${extra}></label>`
  const body = opts.done
    ? '<p class="done" role="status">提交成功，我们会尽快与您联系。</p>'
    : `<form method="post" action="/f/${esc(opts.formKey)}">
${opts.error ? `<p class="error" role="alert" data-field="${esc(opts.error.field)}">${esc(FIELD_LABELS[opts.error.field] ?? opts.error.field)}：${esc(opts.error.message)}</p>` : ''}
${input('name', 'text', true, ' maxlength="100" autocomplete="name"')}
${input('phone', 'tel', false, ' maxlength="40" autocomplete="tel"')}
${input('email', 'email', false, ' maxlength="200" autocomplete="email"')}
${input('company', 'text', false, ' maxlength="200" autocomplete="organization"')}
<label>${FIELD_LABELS.message}<textarea name="message" maxlength="2000" rows="3">${esc(v.message ?? '')}</textarea></label>
<div class="hp" aria-hidden="true"><label>Website<input name="website" tabindex="-1" autocomplete="off"></label></div>
${UTM_KEYS.map((k) => (opts.utm[k] ? `<input type="hidden" name="${k}" value="${esc(opts.utm[k] ?? '')}">` : '')).join('')}
<label class="consent"><input type="checkbox" name="consent" value="1" required> 我同意贵公司就咨询事宜与我联系</label>
<button type="submit">提交</button>
</form>`
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>联系我们 · ${esc(opts.channelName)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:0;padding:16px;max-width:480px;color:#222}label{display:block;margin:10px 0}input,textarea{box-sizing:border-box;width:100%;padding:8px;border:1px solid #ccc;border-radius:6px;font:inherit}.consent input{width:auto}.hp{position:absolute;left:-9999px}button{background:#1677ff;color:#fff;border:0;border-radius:6px;padding:10px 24px;font:inherit}.error{color:#c00}.done{color:#2a7}</style>
</head><body><h1 style="font-size:20px">联系我们</h1>${body}</body></html>`
}

/**
 * Public intake: the signed webhook per channel (`POST /api/v1/intake/{channelKey}`) and the embeddable web
 * form (`GET/POST /f/{formKey}`). No session: the webhook is authenticated by its HMAC signature, the form
 * is public and guarded by a honeypot and a per-IP rate limit.
 */
export function leadIntakeRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>()
  const intakeRoute = createRoute({
    method: 'post',
    path: '/api/v1/intake/{channelKey}',
    summary:
      'Push one lead, or up to 500 as a JSON array, to a channel (signed: X-Flowcard-Timestamp, X-Flowcard-Nonce, X-Flowcard-Signature v1=HMAC-SHA256(secret, "ts.nonce.body")); 巨量引擎, 腾讯广告 or generic JSON by the channel preset',
    description: `The body is one lead (a JSON object in the channel preset's shape) or an array of up to ${MAX_LEADS_PER_PUSH} such objects, signed once. Every lead of a push is checked before anything is stored: one bad lead answers 400 naming its field, prefixed with its place in an array (\`[3].telephone\`), and nothing of the push is written; otherwise all of its leads are stored together. An array push answers 200 with one result per lead in the pushed order (created, touch, replay or spam). Redelivery of a lead with a known source lead id answers that lead (replay), alone or inside an array.`,
    tags: ['leads'],
    request: {
      params: z.object({ channelKey: z.string().min(1).max(64) }),
      body: {
        content: {
          'application/json': {
            // The array's items and size are checked by the intake itself, so an error names the lead's
            // place (`[3]`) or `body`; the document still shows the shape.
            schema: z.union([
              z.record(z.string(), z.unknown()),
              z.array(z.unknown()).openapi({
                items: { type: 'object', additionalProperties: {} },
                minItems: 1,
                maxItems: MAX_LEADS_PER_PUSH,
              }),
            ]),
          },
        },
        required: true,
      },
    },
    responses: {
      201: { description: 'a new lead', content: { 'application/json': { schema: IntakeResultSchema } } },
      200: {
        description:
          'one lead: a replay of a known source lead id, or a known person (a touch); an array push: one result per lead, in order',
        content: { 'application/json': { schema: z.union([IntakeResultSchema, IntakeBatchResultSchema]) } },
      },
      202: {
        description: 'discarded as spam (counted)',
        content: { 'application/json': { schema: IntakeResultSchema } },
      },
      ...errorResponses,
      ...secretUnavailableResponse,
    },
  })
  // Documented as above, but the body is not validated by the OpenAPI layer: that parsed every push's JSON
  // (and walked it with zod) before the signature was checked, and the intake parses and checks it again
  // itself (object or array, each lead's fields, NUL and lone surrogates), naming the field; ~6 % of the
  // server's CPU on the single-push bench. The media type and key length are checked here as the layer did.
  app.openAPIRegistry.registerPath(intakeRoute)
  app.post('/api/v1/intake/:channelKey', async (c) => {
    const type = c.req.header('content-type')
    if (
      type
        ? type.split(';')[0]?.trim().toLowerCase() !== 'application/json'
        : c.req.header('content-length') !== '0' && c.req.header('content-length') !== undefined
    )
      throw new HTTPException(415, { message: 'Unsupported Media Type' })
    const intakeKey = c.req.param('channelKey')
    if (intakeKey.length > 64)
      throw new InvalidInputError(
        'channelKey',
        'channelKey: Too big: expected string to have <=64 characters',
      )
    const deps = c.get('deps')
    const r = await receiveIntake({
      database: deps.database,
      clock: deps.clock,
      logger: c.get('logger'),
      intakeKey,
      headers: (name) => c.req.header(name),
      body: await c.req.text(),
    })
    return 'items' in r ? c.json(r, 200) : c.json(r, STATUS[r.outcome])
  })

  app.get('/f/:formKey', async (c) => {
    const form = await findFormChannel(c.get('deps').database, c.req.param('formKey'))
    const utm: Record<string, string> = {}
    for (const k of UTM_KEYS) {
      const v = c.req.query(k)
      if (v) utm[k] = v.slice(0, 200)
    }
    return c.html(formPage({ formKey: form.formKey, channelName: form.channelName, utm }))
  })

  app.post('/f/:formKey', async (c) => {
    const deps = c.get('deps')
    const formKey = c.req.param('formKey')
    const wantsJson = (c.req.header('content-type') ?? '').includes('application/json')
    const raw: Record<string, unknown> = wantsJson
      ? ((await c.req.json().catch(() => ({}))) as Record<string, unknown>)
      : Object.fromEntries(
          Object.entries(await c.req.parseBody()).map(([k, v]) => [k, typeof v === 'string' ? v : '']),
        )
    const s = (k: string) => (typeof raw[k] === 'string' ? (raw[k] as string) : '')
    const fields = {
      name: s('name'),
      phone: s('phone') || null,
      email: s('email') || null,
      company: s('company') || null,
      message: s('message') || null,
      consent:
        raw.consent === true || s('consent') === '1' || s('consent') === 'on' || s('consent') === 'true',
    }
    const utm: Record<string, string> = {}
    for (const k of UTM_KEYS) if (s(k)) utm[k.slice(4)] = s(k).slice(0, 200)
    try {
      const r = await submitFormLead({
        database: deps.database,
        clock: deps.clock,
        logger: c.get('logger'),
        formKey,
        ip: clientIp(c),
        input: { fields, honeypot: s('website'), utm },
      })
      if (wantsJson) return c.json({ ok: true }, r.outcome === 'spam' ? 202 : 201)
      const form = await findFormChannel(deps.database, formKey)
      return c.html(
        formPage({ formKey, channelName: form.channelName, utm: {}, done: true }),
        r.outcome === 'spam' ? 202 : 200,
      )
    } catch (err) {
      if (!(err instanceof DomainError) || err.code !== 'invalid_input') throw err
      if (wantsJson) throw err
      const form = await findFormChannel(deps.database, formKey)
      const pageUtm: Record<string, string> = {}
      for (const k of UTM_KEYS) if (s(k)) pageUtm[k] = s(k)
      return c.html(
        formPage({
          formKey,
          channelName: form.channelName,
          utm: pageUtm,
          values: Object.fromEntries(
            Object.entries(fields).map(([k, v]) => [k, typeof v === 'string' ? v : '']),
          ),
          error: { field: err.details.field ?? 'name', message: err.message.replace(/^[a-zA-Z]+: /, '') },
        }),
        400,
      )
    }
  })
  return app
}
