import { readFileSync } from 'node:fs'
import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { normalisePhone } from '../../bot/domain/crm/search-text'
import { createLead, listChannels } from '../../bot/domain/leads'
import { newId } from '../../bot/lib/ids'
import type { Database } from '../../db/client'
import { contacts, customers, leads } from '../../db/schema'
import { openTestDatabase } from '../helpers/db'
import { type CrmTenant, crmTenant, ctxAs } from './crm-harness'

let database: Database
let org: CrmTenant

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
})
afterAll(async () => database.close())

const migration = readFileSync(new URL('../../db/migrations/0026_phone_key.sql', import.meta.url), 'utf8')

describe('the phone-key migration', () => {
  it('re-keys phones stored before the one key, so old customers and contacts match new leads', async () => {
    // Rows as the previous code stored them: customer and contact phones kept +86/0086, leads dropped it
    // but keyed a +86 landline without its trunk 0.
    const t = org.tenantId
    const owner = org.users.huangli ?? null
    const cus = (phone: string | null, name: string) => ({
      id: newId('cus'),
      tenantId: t,
      name,
      nameNorm: name,
      phone,
      ownerId: owner,
    })
    const rows = [
      cus('+8613912345678', '旧客户甲'),
      cus('008613912345679', '旧客户乙'),
      cus('8613912345670', '旧客户丙'),
      cus('+861065529988', '旧客户丁'),
      cus('+14155550100', '海外客户'),
      cus('02165432100', '上海座机'),
      cus(null, '无电话'),
    ]
    await database.db.insert(customers).values(rows)
    const contactId = newId('ct')
    await database.db.insert(contacts).values({
      id: contactId,
      tenantId: t,
      customerId: rows[5]?.id ?? '',
      name: '钱',
      phone: '+8613711112222',
    })
    const channels = await listChannels({ ctx: ctxAs(database, org, 'wangjianguo') })
    const { lead } = await createLead({
      ctx: ctxAs(database, org, 'liuyang'),
      input: { name: '座机', phone: '+86 10 6666 7777', channelId: channels[0]?.id ?? '' },
    })
    await database.db
      .update(leads)
      .set({ phone: '1066667777', phoneValid: false })
      .where(eq(leads.id, lead?.id ?? ''))

    for (const statement of migration.split('--> statement-breakpoint'))
      await database.db.execute(sql.raw(statement))

    const after = await database.db
      .select({ id: customers.id, phone: customers.phone })
      .from(customers)
      .where(eq(customers.tenantId, t))
    const phoneOf = new Map(after.map((r) => [r.id, r.phone]))
    expect(rows.map((r) => phoneOf.get(r.id))).toEqual([
      '13912345678',
      '13912345679',
      '13912345670',
      '01065529988',
      '+14155550100',
      '02165432100',
      null,
    ])
    // The migration and the code agree on every key.
    for (const r of rows) if (r.phone) expect(phoneOf.get(r.id)).toBe(normalisePhone(r.phone))
    const [c] = await database.db.select().from(contacts).where(eq(contacts.id, contactId))
    expect(c?.phone).toBe('13711112222')
    const [l] = await database.db
      .select()
      .from(leads)
      .where(eq(leads.id, lead?.id ?? ''))
    expect(l).toMatchObject({ phone: '01066667777', phoneValid: true })
    // Run twice, nothing changes.
    for (const statement of migration.split('--> statement-breakpoint'))
      await database.db.execute(sql.raw(statement))
    const again = await database.db
      .select({ id: customers.id, phone: customers.phone })
      .from(customers)
      .where(eq(customers.tenantId, t))
    expect(new Map(again.map((r) => [r.id, r.phone]))).toEqual(phoneOf)
    // A lead entered now finds the re-keyed customer.
    const { lead: fresh } = await createLead({
      ctx: ctxAs(database, org, 'liuyang'),
      input: { name: '甲的人', phone: '139 1234 5678', channelId: channels[0]?.id ?? '' },
    })
    expect(fresh?.matchedCustomerId).toBe(rows[0]?.id)
  })
})
