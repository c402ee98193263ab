import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadCrmAccess } from '../../bot/domain/crm/access'
import { addContact } from '../../bot/domain/crm/add-contact'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { findDuplicate } from '../../bot/domain/crm/internal/find-duplicates'
import { addLeadFollowUp, createLead, listChannels, mergeLeads } from '../../bot/domain/leads'
import type { Database } from '../../db/client'
import { leads, leadTouches } from '../../db/schema'
import { openTestDatabase } from '../helpers/db'
import { type CrmTenant, crmTenant, ctxAs } from './crm-harness'

let database: Database
let org: CrmTenant

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
})
afterAll(async () => database.close())

const channelId = async (code: string) => {
  const list = await listChannels({ ctx: ctxAs(database, org, 'wangjianguo') })
  const c = list.find((x) => x.code === code)
  if (!c) throw new Error(`no channel ${code}`)
  return c.id
}

describe('lead channels', () => {
  it('gives every tenant the seven default channels once, however often asked', async () => {
    const ctx = ctxAs(database, org, 'liuyang')
    const [a, b] = await Promise.all([listChannels({ ctx }), listChannels({ ctx })])
    const again = await listChannels({ ctx })
    expect(again.map((c) => c.name)).toEqual([
      '搜索广告',
      '信息流',
      '官网表单',
      '展会',
      '转介绍',
      '电话',
      '其他',
    ])
    expect(a.length + b.length).toBeGreaterThanOrEqual(7)
    expect(again.find((c) => c.code === 'web_form')?.formPath).toMatch(/^\/f\/lf_/)
    expect(again.every((c) => c.secretHint === null)).toBe(true)
  })
})

describe('createLead', () => {
  it('stores a malformed phone raw with the validation flag off instead of rejecting it', async () => {
    const r = await createLead({
      ctx: ctxAs(database, org, 'liuyang'),
      input: { name: '赵六', phone: '12-34', email: 'zhao@', channelId: await channelId('expo') },
    })
    expect(r.outcome).toBe('created')
    expect(r.lead).toMatchObject({
      phoneRaw: '12-34',
      phoneValid: false,
      emailRaw: 'zhao@',
      emailValid: false,
    })
    expect(r.lead?.ownerName).toBe('刘洋')
  })

  it('makes the same person from another campaign a touch on the existing lead, naming only its owner', async () => {
    const first = await createLead({
      ctx: ctxAs(database, org, 'liuyang'),
      input: {
        name: '张三',
        phone: '138 0000 1111',
        company: '华为技术有限公司',
        channelId: await channelId('search_ads'),
      },
    })
    const again = await createLead({
      ctx: ctxAs(database, org, 'chenjing'),
      input: { name: '张三丰', phone: '+86 13800001111', channelId: await channelId('feed_ads') },
    })
    expect(again.outcome).toBe('touch')
    expect(again.lead).toBeNull()
    expect(again.duplicate).toMatchObject({
      kind: 'lead',
      matchedOn: ['phone'],
      owner: { name: '刘洋' },
      id: null,
    })
    expect(JSON.stringify(again)).not.toContain('华为')
    const touches = await database.db
      .select()
      .from(leadTouches)
      .where(and(eq(leadTouches.tenantId, org.tenantId), eq(leadTouches.leadId, first.lead?.id ?? '')))
    expect(touches.map((t) => t.kind).sort()).toEqual(['first', 'repeat'])
  })

  it('notes an existing customer with the same company without revealing it', async () => {
    await createCustomer({ ctx: ctxAs(database, org, 'huangli'), input: { name: '小米科技有限责任公司' } })
    const r = await createLead({
      ctx: ctxAs(database, org, 'liuyang'),
      input: { name: '雷', company: '小米科技', channelId: await channelId('referral') },
    })
    expect(r.lead?.matchedCustomerId).toMatch(/^cus_/)
  })

  it('matches a customer’s and a contact’s phone however either was written (+86, 0086, dashes)', async () => {
    const huangli = ctxAs(database, org, 'huangli')
    const cus = await createCustomer({
      ctx: huangli,
      input: { name: '远洋物流', phone: '+86 139 1234 5678' },
    })
    const other = await createCustomer({ ctx: huangli, input: { name: '青松园林' } })
    await addContact({
      ctx: huangli,
      customerId: other.id,
      input: { name: '周工', phone: '0086-137-1234-5678' },
    })
    const byCustomerPhone = await createLead({
      ctx: ctxAs(database, org, 'liuyang'),
      input: { name: '远洋采购', phone: '139-1234-5678', channelId: await channelId('phone') },
    })
    expect(byCustomerPhone.lead?.matchedCustomerId).toBe(cus.id)
    const byContactPhone = await createLead({
      ctx: ctxAs(database, org, 'liuyang'),
      input: { name: '周', phone: '+8613712345678', channelId: await channelId('phone') },
    })
    expect(byContactPhone.lead?.matchedCustomerId).toBe(other.id)
    // The customer duplicate check uses the same key.
    const access = await loadCrmAccess(huangli)
    const dup = await findDuplicate(huangli, access, { name: '别的名字', phone: '0086 13912345678' })
    expect(dup).toMatchObject({ matchedOn: ['phone'], customerId: cus.id })
  })

  it('names the bad field and stores nothing', async () => {
    const before = await database.db.select().from(leads).where(eq(leads.tenantId, org.tenantId))
    await expect(
      createLead({ ctx: ctxAs(database, org, 'liuyang'), input: { name: '', channelId: 'x' } }),
    ).rejects.toMatchObject({ code: 'invalid_input', details: { field: 'name' } })
    await expect(
      createLead({ ctx: ctxAs(database, org, 'liuyang'), input: { name: '甲', channelId: 'lch_nope' } }),
    ).rejects.toMatchObject({ code: 'invalid_input', details: { field: 'channelId' } })
    await expect(
      createLead({
        ctx: ctxAs(database, org, 'liuyang'),
        input: { name: '甲', channelId: await channelId('other'), ownerId: org.users.chenjing },
      }),
    ).rejects.toMatchObject({ code: 'forbidden' })
    const after = await database.db.select().from(leads).where(eq(leads.tenantId, org.tenantId))
    expect(after.length).toBe(before.length)
  })
})

describe('follow-ups and merge', () => {
  it('a first follow-up makes the lead contacted; a merge keeps every touch', async () => {
    const ctx = ctxAs(database, org, 'liuyang')
    const a = await createLead({
      ctx,
      input: { name: '孙七', phone: '13900002222', channelId: await channelId('phone') },
    })
    const b = await createLead({
      ctx,
      input: { name: '孙七', email: 'sun7@example.com', channelId: await channelId('expo') },
    })
    await addLeadFollowUp({ ctx, leadId: a.lead?.id ?? '', input: { content: '电话沟通需求' } })
    const merged = await mergeLeads({ ctx, leadId: a.lead?.id ?? '', input: { fromLeadId: b.lead?.id } })
    expect(merged).toMatchObject({ status: 'contacted', email: 'sun7@example.com', phone: '13900002222' })
    const touches = await database.db
      .select()
      .from(leadTouches)
      .where(and(eq(leadTouches.tenantId, org.tenantId), eq(leadTouches.leadId, merged.id)))
    expect(touches.map((t) => t.kind).sort()).toEqual(['first', 'merged'])
  })
})
