import { eq } from 'drizzle-orm'
import { departments, users } from '../../../db/schema'
import { recordAudit } from '../audit/record-audit'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { parseSheet } from '../crm/spreadsheet'
import { ForbiddenError, InvalidInputError } from '../errors'
import { targetKinds } from './schemas'
import { saveTargets, type TargetEntry } from './set-targets'

export const MAX_TARGET_IMPORT_BYTES = 5 * 1024 * 1024
export const MAX_TARGET_IMPORT_ROWS = 5000

type Kind = (typeof targetKinds)[number]

/** Columns of a targets file: canonical key, Chinese header, English header (either is accepted). */
export const TARGET_COLUMNS = [
  ['person', '人员', 'person'],
  ['department', '部门', 'department'],
  ['month', '月份', 'month'],
  ['contract_amount', '合同金额', 'contract_amount'],
  ['payment_amount', '回款金额', 'payment_amount'],
  ['new_customers', '新增客户', 'new_customers'],
  ['new_opportunities', '新增商机', 'new_opportunities'],
  ['visits', '拜访', 'visits'],
  ['follow_ups', '跟进', 'follow_ups'],
] as const satisfies ReadonlyArray<readonly [string, string, string]>

const MONEY = new Set<Kind>(['contract_amount', 'payment_amount'])

export interface ImportTargetsResult {
  /** Data rows read. */
  rows: number
  /** People and departments the file sets targets for. */
  subjects: number
  /** Monthly targets written (or, in a dry run, that would be). */
  saved: number
  dryRun: boolean
}

/**
 * `2026-03`, `2026/3`, `2026年3月` → one month; `2026-Q1`, `2026Q1`, `2026年Q1`, `2026年第1季度` → its three
 * months. Null when the text is none of these.
 */
export function parsePeriod(text: string): string[] | null {
  const s = text.trim().replace(/\s+/g, '')
  const m = /^(\d{4})(?:[-/.年])(\d{1,2})月?$/.exec(s)
  if (m) {
    const mon = Number(m[2])
    return mon >= 1 && mon <= 12 ? [`${m[1]}-${String(mon).padStart(2, '0')}`] : null
  }
  const q = /^(\d{4})(?:[-/.年]?)(?:Q|q|第)([1-4])(?:季度?)?$/.exec(s)
  if (q) {
    const first = (Number(q[2]) - 1) * 3 + 1
    return [0, 1, 2].map((k) => `${q[1]}-${String(first + k).padStart(2, '0')}`)
  }
  return null
}

/**
 * A cell's value as an integer in the target's unit (money in 元 with up to two decimals → cents; counts
 * whole). Empty → undefined (the cell sets nothing). Thousands separators and a leading ¥ are accepted.
 */
export function parseTargetValue(text: string, kind: Kind): number | undefined | 'bad' {
  const s = text
    .trim()
    .replace(/^[¥￥]/, '')
    .replace(/[,，\s]/g, '')
  if (s === '') return undefined
  if (MONEY.has(kind)) {
    if (!/^\d+(\.\d{1,2})?$/.test(s)) return 'bad'
    const [whole = '0', frac = ''] = s.split('.')
    const cents = Number(whole) * 100 + Number(frac.padEnd(2, '0'))
    return cents <= 1e13 ? cents : 'bad'
  }
  if (!/^\d+$/.test(s)) return 'bad'
  const n = Number(s)
  return n <= 1e13 ? n : 'bad'
}

/** Spreads a quarter's value over its months: equal parts, the remainder on the first months. */
function spread(value: number, months: number): number[] {
  const base = Math.floor(value / months)
  return Array.from({ length: months }, (_, i) => base + (i < value - base * months ? 1 : 0))
}

class DryRunDone extends Error {
  constructor(readonly result: ImportTargetsResult) {
    super('dry run')
  }
}

/**
 * Imports sales targets from a CSV or XLSX sheet (the CRM import's parser), all or nothing. One row per
 * person (by email, mobile, id or a name that is unique) or department (by id or unique name) and month or
 * quarter (a quarter's figure is spread over its months); one column per target kind, empty cells leaving
 * that target as it is. Who may set what is checked as for `PUT /reports/targets`. `dryRun` checks everything
 * and writes nothing. Errors name the sheet row and column.
 */
export async function importTargets({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: { format: 'csv' | 'xlsx'; data: Uint8Array; fileName?: string; dryRun?: boolean }
}): Promise<ImportTargetsResult> {
  if (!actorId(ctx.actor)) throw new ForbiddenError('targets are imported by people')
  if (input.data.byteLength === 0) throw new InvalidInputError('file', 'the file is empty')
  if (input.data.byteLength > MAX_TARGET_IMPORT_BYTES)
    throw new InvalidInputError('file', 'the file exceeds 5 MB')
  const sheet = await parseSheet(input.format, input.data)
  // `合同金额（元）` and `合同金额(元)` name the same column as `合同金额`.
  const headers = sheet.headers.map((h) => h.replace(/\s*[（(][^）)]*[）)]\s*$/, ''))
  const col = new Map<string, number>()
  headers.forEach((h, i) => {
    const norm = h.trim().toLowerCase()
    const found = TARGET_COLUMNS.find(([key, zh, en]) => norm === zh || norm === en || norm === key)
    if (found && !col.has(found[0])) col.set(found[0], i)
  })
  if (!col.has('month')) throw new InvalidInputError('file', 'missing column 月份 / month')
  if (!col.has('person') && !col.has('department'))
    throw new InvalidInputError('file', 'missing column 人员 / person or 部门 / department')
  const kinds = targetKinds.filter((k) => col.has(k))
  if (kinds.length === 0)
    throw new InvalidInputError(
      'file',
      'no target column (合同金额, 回款金额, 新增客户, 新增商机, 拜访, 跟进)',
    )
  if (sheet.rows.length === 0) throw new InvalidInputError('file', 'the file has no data rows')
  if (sheet.rows.length > MAX_TARGET_IMPORT_ROWS)
    throw new InvalidInputError('file', `at most ${MAX_TARGET_IMPORT_ROWS} rows per import`)

  const [people, depts] = await Promise.all([
    ctx.db
      .select({
        id: users.id,
        name: users.name,
        email: users.email,
        mobile: users.mobile,
        status: users.status,
      })
      .from(users)
      .where(eq(users.tenantId, ctx.tenantId)),
    ctx.db
      .select({ id: departments.id, name: departments.name })
      .from(departments)
      .where(eq(departments.tenantId, ctx.tenantId)),
  ])
  const personKeys = new Map<string, string[]>()
  const addKey = (map: Map<string, string[]>, key: string | null, id: string) => {
    if (!key) return
    const k = key.trim().toLowerCase()
    const ids = map.get(k) ?? []
    if (!ids.includes(id)) ids.push(id)
    map.set(k, ids)
  }
  for (const p of people) {
    addKey(personKeys, p.id, p.id)
    addKey(personKeys, p.email, p.id)
    addKey(personKeys, p.mobile, p.id)
  }
  const byName = new Map<string, string[]>()
  for (const p of people) if (p.status === 'active') addKey(byName, p.name, p.id)
  const deptKeys = new Map<string, string[]>()
  for (const d of depts) {
    addKey(deptKeys, d.id, d.id)
    addKey(deptKeys, d.name, d.id)
  }

  const header = (key: string) => sheet.headers[col.get(key) ?? -1] ?? key
  const cell = (row: string[], key: string) => (col.has(key) ? (row[col.get(key) ?? -1] ?? '').trim() : '')
  const entries: TargetEntry[] = []
  const rowOf: number[] = []
  const seen = new Map<string, number>()
  const subjects = new Set<string>()
  sheet.rows.forEach((row, i) => {
    const line = i + 2 // the sheet's own row number: row 1 is the header
    const field = (key: string) => `rows.${line}.${key}`
    const personText = cell(row, 'person')
    const deptText = cell(row, 'department')
    let subject: Pick<TargetEntry, 'subjectKind' | 'subjectId'>
    if (personText) {
      const k = personText.toLowerCase()
      const ids = personKeys.get(k) ?? byName.get(k) ?? []
      if (ids.length === 0)
        throw new InvalidInputError(
          field('person'),
          `row ${line}: no person “${personText}” (${header('person')})`,
        )
      if (ids.length > 1)
        throw new InvalidInputError(
          field('person'),
          `row ${line}: more than one person is called “${personText}”; give the email or mobile`,
        )
      subject = { subjectKind: 'user', subjectId: ids[0] as string }
    } else if (deptText) {
      const ids = deptKeys.get(deptText.toLowerCase()) ?? []
      if (ids.length !== 1)
        throw new InvalidInputError(
          field('department'),
          ids.length
            ? `row ${line}: more than one department is called “${deptText}”; give its id`
            : `row ${line}: no department “${deptText}”`,
        )
      subject = { subjectKind: 'department', subjectId: ids[0] as string }
    } else {
      throw new InvalidInputError(field('person'), `row ${line}: neither a person nor a department`)
    }
    const months = parsePeriod(cell(row, 'month'))
    if (!months)
      throw new InvalidInputError(
        field('month'),
        `row ${line}: “${cell(row, 'month')}” is not a month (2026-03) or quarter (2026-Q1)`,
      )
    subjects.add(`${subject.subjectKind}:${subject.subjectId}`)
    for (const kind of kinds) {
      const value = parseTargetValue(cell(row, kind), kind)
      if (value === undefined) continue
      if (value === 'bad')
        throw new InvalidInputError(
          field(kind),
          `row ${line}: “${cell(row, kind)}” in ${header(kind)} is not ${MONEY.has(kind) ? 'an amount in yuan' : 'a whole number'}`,
        )
      const parts = spread(value, months.length)
      months.forEach((month, m) => {
        const key = `${subject.subjectKind}|${subject.subjectId}|${kind}|${month}`
        const earlier = seen.get(key)
        if (earlier !== undefined)
          throw new InvalidInputError(
            field(kind),
            `row ${line}: ${header(kind)} for ${month} is also set on row ${earlier}`,
          )
        seen.set(key, line)
        entries.push({ ...subject, kind, month, value: parts[m] ?? 0 })
        rowOf.push(line)
      })
    }
  })
  if (entries.length === 0)
    throw new InvalidInputError('file', 'the file sets no target (every value is empty)')

  try {
    return await withTransaction(ctx, async (_tx, c) => {
      const { saved } = await saveTargets(c, entries, (i) => `rows.${rowOf[i]}.person`)
      const result = {
        rows: sheet.rows.length,
        subjects: subjects.size,
        saved,
        dryRun: Boolean(input.dryRun),
      }
      if (input.dryRun) throw new DryRunDone(result)
      await recordAudit(c, {
        action: 'report.targets.import',
        targetType: 'sales_targets',
        targetId: `${entries.length}`,
        after: { fileName: input.fileName?.slice(0, 200) ?? null, ...result },
      })
      return result
    })
  } catch (err) {
    if (err instanceof DryRunDone) return err.result
    throw err
  }
}
