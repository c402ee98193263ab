import { and, eq, inArray, sql } from 'drizzle-orm'
import { type contacts, customers, users } from '../../../../db/schema'
import { newId } from '../../../lib/ids'
import { actorId, type ServiceContext } from '../../context'
import { DomainError } from '../../errors'
import { type CrmAccess, workableCustomers } from '../access'
import { normaliseRegion } from '../regions'
import { loadRules, reclaimDue } from '../rules'
import { contactInput, createCustomerInput, decisionRoles } from '../schemas'
import { buildSearch, normaliseCompanyName, normalisePhone } from '../search-text'
import { CONTACT_COLUMNS, CUSTOMER_COLUMNS, mapHeaders } from './import-columns'

// The rows of an import sheet checked and turned into inserts for runImport (run-import.ts): each row is
// validated like a create, owners resolved by name, duplicates within the sheet and against the tenant
// reported per row through `fail`.

export type CustomerInsert = typeof customers.$inferInsert
export type ContactInsert = typeof contacts.$inferInsert
export interface Prepared<T> {
  row: number
  value: T
}

const cell = (cells: string[], cols: Map<string, number>, key: string): string | undefined => {
  const i = cols.get(key)
  const v = i === undefined ? undefined : cells[i]?.trim()
  return v ? v : undefined
}

export async function prepareCustomers(
  ctx: ServiceContext,
  access: CrmAccess,
  headers: string[],
  rows: string[][],
  fail: (row: number, field: string, message: string) => void,
): Promise<Array<Prepared<CustomerInsert>>> {
  const cols = mapHeaders(headers, CUSTOMER_COLUMNS)
  const me = actorId(ctx.actor)
  const people = await ctx.db
    .select({ id: users.id, name: users.name })
    .from(users)
    .where(and(eq(users.tenantId, ctx.tenantId), eq(users.status, 'active')))
  const byName = new Map(people.map((p) => [p.name, p.id]))
  const rules = await loadRules(ctx.db, ctx.tenantId)
  const now = ctx.clock.now()
  const out: Array<Prepared<CustomerInsert>> = []
  const seenNames = new Map<string, number>()
  const seenCodes = new Map<string, number>()
  for (const [i, cells] of rows.entries()) {
    const rowNo = i + 2
    const num = (key: string) => {
      const v = cell(cells, cols, key)
      return v === undefined ? undefined : Number(v)
    }
    const raw = {
      name: cell(cells, cols, 'name') ?? '',
      shortName: cell(cells, cols, 'shortName'),
      creditCode: cell(cells, cols, 'creditCode'),
      phone: cell(cells, cols, 'phone'),
      industry: cell(cells, cols, 'industry'),
      scale: cell(cells, cols, 'scale'),
      tier: cell(cells, cols, 'tier'),
      tags: cell(cells, cols, 'tags')
        ?.split(/[;；,，]/)
        .map((s) => s.trim())
        .filter(Boolean),
      provinceCode: cell(cells, cols, 'provinceCode'),
      cityCode: cell(cells, cols, 'cityCode'),
      districtCode: cell(cells, cols, 'districtCode'),
      address: cell(cells, cols, 'address'),
      lat: num('lat'),
      lng: num('lng'),
      source: cell(cells, cols, 'source'),
    }
    const parsed = createCustomerInput.safeParse(raw)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      fail(rowNo, issue?.path.map(String).join('.') || 'row', issue?.message ?? 'invalid')
      continue
    }
    const d = parsed.data
    let region: ReturnType<typeof normaliseRegion>
    try {
      region = normaliseRegion(d)
    } catch (err) {
      if (err instanceof DomainError) {
        fail(rowNo, String(err.details.field ?? 'region'), err.message)
        continue
      }
      throw err
    }
    if ((d.lat === undefined) !== (d.lng === undefined) || (d.lat === null) !== (d.lng === null)) {
      fail(rowNo, d.lat === undefined ? 'lat' : 'lng', 'lat and lng go together')
      continue
    }
    const ownerName = cell(cells, cols, 'owner')
    let ownerId: string | null = me
    if (ownerName) {
      const id = byName.get(ownerName)
      if (!id) {
        fail(rowNo, 'owner', `no active user named ${ownerName}`)
        continue
      }
      if (id !== me && !access.canManage) {
        fail(rowNo, 'owner', 'only managers may import for others')
        continue
      }
      ownerId = id
    }
    const nameNorm = normaliseCompanyName(d.name)
    const dupRow = seenNames.get(nameNorm)
    if (dupRow) {
      fail(rowNo, 'name', `same customer as row ${dupRow}`)
      continue
    }
    seenNames.set(nameNorm, rowNo)
    if (d.creditCode) {
      const dupCode = seenCodes.get(d.creditCode)
      if (dupCode) {
        fail(rowNo, 'creditCode', `same credit code as row ${dupCode}`)
        continue
      }
      seenCodes.set(d.creditCode, rowNo)
    }
    const phone = d.phone ? normalisePhone(d.phone) || null : null
    out.push({
      row: rowNo,
      value: {
        id: newId('cus'),
        tenantId: ctx.tenantId,
        name: d.name,
        shortName: d.shortName ?? null,
        nameNorm,
        creditCode: d.creditCode ?? null,
        phone,
        industry: d.industry ?? null,
        scale: d.scale ?? null,
        tier: d.tier ?? null,
        tags: d.tags ?? [],
        ...region,
        address: d.address ?? null,
        lat: d.lat ?? null,
        lng: d.lng ?? null,
        source: d.source ?? 'import',
        ownerId,
        ownedSince: ownerId ? now : null,
        reclaimDueAt: ownerId ? reclaimDue(rules, now, false) : null,
        ...buildSearch({ name: d.name, shortName: d.shortName, phones: [phone] }),
        createdById: me,
        createdAt: now,
        updatedAt: now,
      },
    })
  }
  // Existing customers with the same name or credit code (the whole tenant, as on create).
  const existing = new Set<string>()
  for (let i = 0; i < out.length; i += 5000) {
    const slice = out.slice(i, i + 5000)
    const names = slice.map((p) => p.value.nameNorm)
    const codes = slice.map((p) => p.value.creditCode).filter((c): c is string => Boolean(c))
    const hits = await ctx.db
      .select({ nameNorm: customers.nameNorm, creditCode: customers.creditCode })
      .from(customers)
      .where(
        and(
          eq(customers.tenantId, ctx.tenantId),
          codes.length > 0
            ? sql`(${customers.nameNorm} in (select json_array_elements_text(${JSON.stringify(names)}::json))
                or ${customers.creditCode} in (select json_array_elements_text(${JSON.stringify(codes)}::json)))`
            : sql`${customers.nameNorm} in (select json_array_elements_text(${JSON.stringify(names)}::json))`,
        ),
      )
    for (const h of hits) {
      existing.add(`n:${h.nameNorm}`)
      if (h.creditCode) existing.add(`c:${h.creditCode}`)
    }
  }
  return out.filter((p) => {
    if (existing.has(`n:${p.value.nameNorm}`)) {
      fail(p.row, 'name', 'duplicate: a customer with this name exists (ask its owner)')
      return false
    }
    if (p.value.creditCode && existing.has(`c:${p.value.creditCode}`)) {
      fail(p.row, 'creditCode', 'duplicate: a customer with this credit code exists')
      return false
    }
    return true
  })
}

export async function prepareContacts(
  ctx: ServiceContext,
  access: CrmAccess,
  headers: string[],
  rows: string[][],
  fail: (row: number, field: string, message: string) => void,
): Promise<Array<Prepared<ContactInsert>>> {
  const cols = mapHeaders(headers, CONTACT_COLUMNS)
  const names = [
    ...new Set(rows.map((r) => cell(r, cols, 'customer')).filter((n): n is string => Boolean(n))),
  ]
  const found = new Map<string, string>()
  for (let i = 0; i < names.length; i += 5000) {
    const slice = names.slice(i, i + 5000)
    const hits = await ctx.db
      .select({ id: customers.id, name: customers.name })
      .from(customers)
      .where(and(workableCustomers(ctx, access), inArray(customers.name, slice)))
    for (const h of hits) found.set(h.name, h.id)
  }
  const out: Array<Prepared<ContactInsert>> = []
  const now = ctx.clock.now()
  for (const [i, cells] of rows.entries()) {
    const rowNo = i + 2
    const customerName = cell(cells, cols, 'customer') ?? ''
    const customerId = found.get(customerName)
    if (!customerId) {
      fail(rowNo, 'customer', `no customer named ${customerName || '—'} that you may edit`)
      continue
    }
    const role = cell(cells, cols, 'decisionRole')
    const primary = cell(cells, cols, 'isPrimary')
    const parsed = contactInput.safeParse({
      name: cell(cells, cols, 'name') ?? '',
      title: cell(cells, cols, 'title'),
      phone: cell(cells, cols, 'phone'),
      email: cell(cells, cols, 'email'),
      decisionRole:
        role && (decisionRoles as readonly string[]).includes(role) ? role : role ? '?' : undefined,
      isPrimary: primary === 'true' || primary === '是' || primary === '1',
    })
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      fail(rowNo, issue?.path.map(String).join('.') || 'row', issue?.message ?? 'invalid')
      continue
    }
    const d = parsed.data
    out.push({
      row: rowNo,
      value: {
        id: newId('con'),
        tenantId: ctx.tenantId,
        customerId,
        name: d.name,
        title: d.title ?? null,
        phone: d.phone ? normalisePhone(d.phone) : null,
        email: d.email ?? null,
        decisionRole: d.decisionRole,
        isPrimary: d.isPrimary,
        createdById: actorId(ctx.actor),
        createdAt: now,
      },
    })
  }
  return out
}
