import { sql } from 'drizzle-orm'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '../../db/client'
import { demoSeeders } from '../../db/seed/demo'
import type { SeededOrg } from '../../db/seed/org'
import { uid } from '../helpers/actors'
import { testApp } from '../helpers/app'
import { createTestTenant, openTestDatabase } from '../helpers/db'
import { sessionHeader } from '../helpers/session'

/**
 * Hostile-input probe: every operation of `/api/openapi.json`, called by sessions of several roles with many
 * inputs generated from the operation's own schemas — valid values, broken ones, NUL characters, lone
 * surrogates, huge strings, wrong types. No answer may be a 5xx, every 4xx is a JSON error with a code, and a
 * refused call changes no row of either tenant. `PROBE_RUNS` sets the inputs per operation and role.
 */
const RUNS = Number(process.env.PROBE_RUNS ?? 2)
const SEED = Number(process.env.PROBE_SEED ?? Date.now() % 1_000_000)

type Schema = {
  type?: string | string[]
  enum?: unknown[]
  const?: unknown
  properties?: Record<string, Schema>
  required?: string[]
  additionalProperties?: boolean | Schema
  items?: Schema
  minItems?: number
  maxItems?: number
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  pattern?: string
  format?: string
  anyOf?: Schema[]
  oneOf?: Schema[]
  allOf?: Schema[]
  $ref?: string
}
type Parameter = { name: string; in: 'path' | 'query' | 'header'; required?: boolean; schema?: Schema }
type Operation = {
  parameters?: Parameter[]
  requestBody?: { content: Record<string, { schema?: Schema }> }
}
type Doc = {
  paths: Record<string, Record<string, Operation>>
  components?: { schemas?: Record<string, Schema> }
}

let database: Database
let a: SeededOrg
let b: SeededOrg
let app: ReturnType<typeof testApp>['app']
let doc: Doc
let idPool: string[] = []
let tables: string[] = []

beforeAll(async () => {
  database = await openTestDatabase()
  a = await createTestTenant(database)
  await database.db.transaction(async (tx) => {
    for (const seed of demoSeeders) await seed(tx, a)
  })
  b = await createTestTenant(database)
  app = testApp(database).app
  doc = (await (await app.request('/api/openapi.json')).json()) as Doc
  const tableRows = await database.rows<{ table_name: string }>(
    sql`select table_name from information_schema.columns
        where table_schema = 'public' and column_name = 'tenant_id' order by table_name`,
  )
  tables = tableRows.map((r) => r.table_name)
  // Real ids of tenant A, so generated calls reach past "not found" into the handlers.
  const ids = await database.rows<{ id: string }>(sql`
    select id from crm_customers where tenant_id = ${a.tenantId}
    union all select id from approval_instances where tenant_id = ${a.tenantId}
    union all select id from approval_tasks where tenant_id = ${a.tenantId}
    union all select id from notices where tenant_id = ${a.tenantId}
    union all select id from crm_visits where tenant_id = ${a.tenantId}
    union all select id from users where tenant_id = ${a.tenantId}
    union all select id from departments where tenant_id = ${a.tenantId}`)
  idPool = ids.map((r) => r.id)
}, 120_000)
afterAll(async () => database?.close())

/** Row count plus a sum of row versions per table, for both tenants: any insert, update or delete moves it. */
async function fingerprint(): Promise<string> {
  const parts = tables.map(
    (t) =>
      sql`select ${t}::text as t, count(*)::text as n, coalesce(sum(xmin::text::bigint), 0)::text as x
          from ${sql.identifier(t)} where tenant_id in (${a.tenantId}, ${b.tenantId})`,
  )
  const rows = await database.rows<{ t: string; n: string; x: string }>(sql.join(parts, sql` union all `))
  return rows.map((r) => `${r.t}:${r.n}:${r.x}`).join('|')
}

const resolve = (s: Schema | undefined): Schema => {
  if (!s) return {}
  if (s.$ref) {
    const name = s.$ref.split('/').pop() as string
    return resolve(doc.components?.schemas?.[name])
  }
  return s
}

const HOSTILE_STRINGS = [
  'a\u0000b',
  '\u0000',
  'x\ud800y',
  '\udfff',
  'x'.repeat(100_000),
  '',
  ' ',
  "'; drop table customers; --",
  '../../etc/passwd',
  '%00',
  '=HYPERLINK("http://x")',
  '9'.repeat(40),
  '-1',
  '2026-13-45T99:99:99Z',
  'NaN',
  '😀'.repeat(50),
]
const hostileString = fc.constantFrom(...HOSTILE_STRINGS)
const wrongType = fc.oneof(
  fc.constant(null),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant({}),
  fc.constant([]),
  fc.constant(1e308),
  fc.constant(-1),
  fc.constant(Number.MAX_SAFE_INTEGER + 2),
  hostileString,
)

const idLike = (name: string) => /(^id$|Id$|Ids$|^key$|^token$|^cursor$|Key$)/.test(name)

/** A well-formed value for a schema (or a near miss), to get past validation into the handlers. */
function validOf(input: Schema | undefined, name = '', depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(input)
  if (s.allOf?.length) return validOf({ ...s, allOf: undefined, ...resolve(s.allOf[0]) }, name, depth)
  if (s.anyOf?.length || s.oneOf?.length)
    return fc.oneof(...(s.anyOf ?? s.oneOf ?? []).map((x) => validOf(x, name, depth)))
  if (s.const !== undefined) return fc.constant(s.const)
  if (s.enum?.length) return fc.constantFrom(...s.enum)
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : ['string']
  const arbs = types.map((t) => {
    switch (t) {
      case 'null':
        return fc.constant(null)
      case 'boolean':
        return fc.boolean()
      case 'integer':
        return fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 100_000 })
      case 'number':
        return fc.double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e6, noNaN: true })
      case 'array': {
        if (depth > 4) return fc.constant([])
        return fc.array(validOf(s.items, name, depth + 1), {
          minLength: s.minItems ?? 0,
          maxLength: Math.min(s.maxItems ?? 3, 3),
        })
      }
      case 'object': {
        if (depth > 4) return fc.constant({})
        const props = s.properties ?? {}
        const required = new Set(s.required ?? [])
        const entries = Object.entries(props).map(([k, v]) => [k, validOf(v, k, depth + 1)] as const)
        const record = fc.record(Object.fromEntries(entries), {
          requiredKeys: Object.keys(props).filter((k) => required.has(k)),
        })
        return record
      }
      default: {
        if (idLike(name) && idPool.length) return fc.oneof(fc.constantFrom(...idPool), fc.string())
        if (s.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString())
        if (s.format === 'date')
          return fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10))
        if (s.format === 'email') return fc.emailAddress()
        if (s.format === 'uri' || s.format === 'url') return fc.webUrl()
        if (s.pattern) {
          try {
            return fc.stringMatching(new RegExp(s.pattern))
          } catch {
            return fc.string()
          }
        }
        return fc.string({
          minLength: s.minLength ?? 0,
          maxLength: Math.min(s.maxLength ?? 20, 40),
          unit: fc.oneof(
            fc.constantFrom(...'客户公司审批abcXYZ019 -_@.'),
            fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }),
          ),
        })
      }
    }
  })
  return arbs.length === 1 ? (arbs[0] as fc.Arbitrary<unknown>) : fc.oneof(...arbs)
}

/** Replaces one leaf (or the whole value) with something hostile. */
function breakValue(value: unknown): fc.Arbitrary<unknown> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value)
    return fc.oneof(
      wrongType,
      fc
        .record({
          k: fc.oneof(fc.constantFrom(...(keys.length ? keys : ['x'])), hostileString),
          v: wrongType,
        })
        .map(({ k, v }) => ({ ...(value as object), [k]: v })),
      keys.length
        ? fc.constantFrom(...keys).chain((k) =>
            breakValue((value as Record<string, unknown>)[k]).map((v) => ({
              ...(value as object),
              [k]: v,
            })),
          )
        : wrongType,
    )
  }
  if (Array.isArray(value) && value.length)
    return fc.oneof(
      wrongType,
      breakValue(value[0]).map((v) => [v, ...value.slice(1)]),
      fc.constant(Array.from({ length: 5000 }, () => value[0])),
    )
  return wrongType
}

const withHostile = (valid: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 2, arbitrary: valid }, { weight: 3, arbitrary: valid.chain((v) => breakValue(v)) })

/** Percent-encodes like a client would; a lone surrogate becomes its (invalid) three UTF-8-style bytes. */
const encodePart = (s: string): string =>
  s
    .replace(/[\ud800-\udfff]/g, (ch) => {
      const c = ch.charCodeAt(0)
      return `%${(0xe0 | (c >> 12)).toString(16)}%${(0x80 | ((c >> 6) & 0x3f)).toString(16)}%${(0x80 | (c & 0x3f)).toString(16)}`
    })
    .split(/(%[0-9a-f]{2})/)
    .map((part, i) => (i % 2 ? part : encodeURIComponent(part)))
    .join('')

interface Call {
  method: string
  path: string
  body?: string
  contentType?: string
}

function callsFor(pathTemplate: string, method: string, op: Operation): fc.Arbitrary<Call> {
  const params = op.parameters ?? []
  const pathParams = params.filter((p) => p.in === 'path')
  const queryParams = params.filter((p) => p.in === 'query')
  const pathArb = fc.record(
    Object.fromEntries(
      pathParams.map((p) => [
        p.name,
        fc.oneof(
          { weight: 3, arbitrary: validOf(p.schema, p.name).map(String) },
          { weight: 2, arbitrary: hostileString },
          { weight: 1, arbitrary: fc.string() },
        ),
      ]),
    ),
  )
  const queryArb = fc.record(
    Object.fromEntries(
      queryParams.map((p) => [
        p.name,
        fc.oneof(
          { weight: 3, arbitrary: validOf(p.schema, p.name).map((v) => (v === null ? '' : String(v))) },
          { weight: 2, arbitrary: hostileString },
          { weight: 1, arbitrary: fc.string() },
        ),
      ]),
    ),
    { requiredKeys: [] },
  )
  const content = op.requestBody?.content ?? {}
  const json = content['application/json']
  const otherType = Object.keys(content).find((t) => t !== 'application/json')
  const bodyArb: fc.Arbitrary<{ body?: string; contentType?: string }> = json
    ? fc
        .oneof(
          {
            weight: 6,
            arbitrary: withHostile(validOf(json.schema)).map((v) => ({ body: JSON.stringify(v) ?? '' })),
          },
          {
            weight: 1,
            arbitrary: fc
              .constantFrom('{', 'null', '"x"', '[]', '{"a":'.repeat(2000))
              .map((body) => ({ body })),
          },
        )
        .map((x) => ({ ...x, contentType: 'application/json' }))
    : otherType
      ? fc
          .oneof(fc.string(), hostileString, fc.constant('name,phone\n客户,1\n'))
          .map((body) => ({ body, contentType: otherType }))
      : fc.constant({})
  return fc.record({ path: pathArb, query: queryArb, body: bodyArb }).map(({ path, query, body }) => {
    const url = pathTemplate.replace(/\{(\w+)\}/g, (_, k: string) => encodePart(String(path[k] ?? '')))
    const qs = new URLSearchParams(query as Record<string, string>).toString()
    return { method: method.toUpperCase(), path: qs ? `${url}?${qs}` : url, ...body }
  })
}

describe('the API under hostile input', () => {
  it('never answers 5xx, always answers 4xx as a JSON error with a code, and a refused call changes no row', async () => {
    const roles = [
      { label: 'admin', headers: await sessionHeader(a.tenantId, uid(a, 'wangjianguo')) },
      { label: 'manager', headers: await sessionHeader(a.tenantId, uid(a, 'zhangwei')) },
      { label: 'rep', headers: await sessionHeader(a.tenantId, uid(a, 'liuyang')) },
      { label: 'other tenant admin', headers: await sessionHeader(b.tenantId, uid(b, 'wangjianguo')) },
    ]
    const failures: string[] = []
    let calls = 0
    let tApp = 0
    let tFp = 0
    let serverErrors = 0
    let before = await fingerprint()
    let seed = SEED
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const arb = callsFor(path, method, op)
        for (const role of roles) {
          for (const call of fc.sample(arb, { numRuns: RUNS, seed: seed++ })) {
            calls++
            const t0 = performance.now()
            const res = await app.request(call.path, {
              method: call.method,
              headers: { ...role.headers, ...(call.contentType ? { 'content-type': call.contentType } : {}) },
              ...(call.body !== undefined && call.method !== 'GET' ? { body: call.body } : {}),
            })
            const text = await res.text()
            const t1 = performance.now()
            const after = await fingerprint()
            tApp += t1 - t0
            tFp += performance.now() - t1
            const what = `${role.label} ${call.method} ${call.path.slice(0, 160)} ${call.body?.slice(0, 160) ?? ''}`
            if (res.status >= 500) {
              serverErrors++
              failures.push(`${res.status} ${what} → ${text.slice(0, 200)}`)
            } else if (res.status >= 400) {
              let code: unknown
              try {
                code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code
              } catch {}
              if (typeof code !== 'string' || !code)
                failures.push(`${res.status} without a JSON error code: ${what}`)
              if (after !== before) failures.push(`${res.status} changed rows: ${what}`)
            }
            before = after
          }
        }
      }
    }
    console.info(
      `api probe: app ${Math.round(tApp)} ms, fingerprint ${Math.round(tFp)} ms, ${calls} calls, ${serverErrors} answers 5xx (PROBE_RUNS=${RUNS}, PROBE_SEED=${SEED})`,
    )
    expect(failures, `seed ${SEED}`).toEqual([])
    expect(calls).toBeGreaterThan(80 * roles.length * Math.min(RUNS, 1))
  }, 300_000)
})
