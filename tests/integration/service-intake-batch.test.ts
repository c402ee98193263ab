import { and, asc, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withTransaction } from '../../bot/domain/context'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import {
  createDispatchRule,
  createIntakeCode,
  openTicket,
  submitServiceRequest,
} from '../../bot/domain/service'
import { openTickets } from '../../bot/domain/service/create-ticket'
import { createMemoryStorage } from '../../bot/lib/storage/types'
import type { Database } from '../../db/client'
import { openPostgres } from '../../db/postgres'
import { auditLog, outbox, serviceTicketEvents, serviceTickets } from '../../db/schema'
import { openTestDatabase, testDatabaseUrl } from '../helpers/db'
import { type CrmTenant, ctxAs, silent, systemCtx, uid } from './crm-harness'
import { mondayClock, serviceTenant } from './service-harness'

let database: Database

beforeAll(async () => {
  database = await openTestDatabase()
})
afterAll(async () => database.close())

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4])

/** A tenant with a round-robin rule for 故障 over two engineers and a customer. */
async function tenantWithRule(clock: ReturnType<typeof mondayClock>) {
  const org = await serviceTenant(database)
  const mgr = ctxAs(database, org, 'zhangwei', clock)
  await createDispatchRule({
    ctx: mgr,
    input: {
      name: '故障',
      match: { types: ['故障'] },
      method: 'round_robin',
      members: [
        { userId: uid(org, 'liuyang'), capacity: 3000 },
        { userId: uid(org, 'chenjing'), capacity: 3000 },
      ],
    },
  })
  const customer = await createCustomer({
    ctx: ctxAs(database, org, 'liuyang', clock),
    input: { name: '华东精密机械有限公司' },
  })
  return { org, mgr, customerId: customer.id }
}

/** What a ticket leaves behind, without ids and tokens: the row's facts, its timeline, audit and outbox. */
async function traces(org: CrmTenant) {
  const tickets = await database.db
    .select()
    .from(serviceTickets)
    .where(eq(serviceTickets.tenantId, org.tenantId))
    .orderBy(asc(serviceTickets.number))
  const out = []
  for (const t of tickets) {
    const events = await database.db
      .select({ kind: serviceTicketEvents.kind, data: serviceTicketEvents.data })
      .from(serviceTicketEvents)
      .where(eq(serviceTicketEvents.ticketId, t.id))
      .orderBy(asc(serviceTicketEvents.id))
    const audits = await database.db
      .select({ action: auditLog.action, after: auditLog.after })
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, org.tenantId), eq(auditLog.targetId, t.id)))
    const messages = (await database.db.select().from(outbox).where(eq(outbox.tenantId, org.tenantId)))
      .filter((m) => JSON.stringify(m.payload).includes(t.id))
      .map((m) => (m.topic === 'send.message' ? m.topic : `${m.topic}:${m.availableAt.toISOString()}`))
      .sort()
    out.push({
      number: t.number,
      owner: t.ownerId,
      status: t.status,
      seq: t.assignmentSeq,
      version: t.version,
      departmentId: t.departmentId,
      assignedAt: t.assignedAt?.toISOString() ?? null,
      due: [t.firstResponseDueAt?.toISOString(), t.resolutionDueAt?.toISOString()],
      events,
      audits,
      messages,
    })
  }
  return out
}

describe('batch ticket intake', () => {
  it('a batch leaves exactly what the same tickets opened one by one leave', async () => {
    const clock = mondayClock()
    const a = await tenantWithRule(clock)
    const b = await tenantWithRule(clock)
    const requests = (org: CrmTenant, customerId: string) =>
      [
        { type: '故障', owner: 'rules' },
        { type: '故障', owner: 'rules', customerId },
        { type: '咨询', owner: 'rules' },
        { type: '故障', owner: uid(org, 'yangfan') },
        { type: '故障', owner: null },
        { type: '故障', owner: 'rules', priority: 'urgent' as const },
      ].map((r, i) => ({
        fields: {
          subject: `请求 ${i}`,
          type: r.type,
          priority: r.priority ?? null,
          customerId: r.customerId ?? null,
          reporterName: '王师傅',
          reporterPhone: '13900001111',
        },
        opts: { channel: 'api' as const, owner: r.owner },
      }))
    const batch = await withTransaction(systemCtx(database, a.org, clock), (_tx, ctx) =>
      openTickets(ctx, requests(a.org, a.customerId)),
    )
    expect(batch.map((t) => t?.subject)).toEqual(requests(a.org, a.customerId).map((r) => r.fields.subject))
    for (const r of requests(b.org, b.customerId))
      await withTransaction(systemCtx(database, b.org, clock), (_tx, ctx) =>
        openTicket(ctx, r.fields, r.opts),
      )
    const ta = await traces(a.org)
    const tb = await traces(b.org)
    // Same people in both tenants (seeded alike) except the ids: compare with the ids mapped.
    const norm = (org: CrmTenant, x: unknown) =>
      JSON.parse(
        JSON.stringify(x)
          .replace(/"cus_[^"]+"/g, '"customer"')
          .replace(/"(usr_[^"]+)"/g, (_m, id: string) => {
            const key = Object.entries(org.users).find(([, v]) => v === id)?.[0]
            return `"user:${key ?? id}"`
          }),
      )
    expect(
      norm(a.org, ta).map((t: { departmentId: unknown }) => ({ ...t, departmentId: !!t.departmentId })),
    ).toEqual(
      norm(b.org, tb).map((t: { departmentId: unknown }) => ({ ...t, departmentId: !!t.departmentId })),
    )
    expect(ta.map((t) => t.owner)).toEqual([
      uid(a.org, 'liuyang'),
      uid(a.org, 'chenjing'),
      null,
      uid(a.org, 'yangfan'),
      null,
      uid(a.org, 'liuyang'),
    ])
    // A bad link fails the whole batch, naming the field, and nothing is written.
    const before = (await traces(a.org)).length
    await expect(
      withTransaction(systemCtx(database, a.org, clock), (_tx, ctx) =>
        openTickets(ctx, [
          ...requests(a.org, a.customerId).slice(0, 2),
          { fields: { subject: 'x', customerId: 'cus_none' }, opts: { channel: 'api', owner: 'rules' } },
        ]),
      ),
    ).rejects.toMatchObject({ code: 'invalid_input', details: { field: 'customerId' } })
    expect((await traces(a.org)).length).toBe(before)
  })

  it('concurrent QR submissions share transactions: consecutive numbers, fair dispatch, every photo kept', async () => {
    const clock = mondayClock()
    const { org, mgr, customerId } = await tenantWithRule(clock)
    const code = await createIntakeCode({
      ctx: mgr,
      input: { label: '1号机', customerId, deviceLabel: 'SN-1' },
    })
    const storage = createMemoryStorage()
    const N = 24
    const answers = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        submitServiceRequest({
          database,
          clock,
          logger: silent,
          storage,
          code: code.code,
          ip: `10.1.0.${i}`,
          input: {
            fields: { name: `客户${i}`, phone: '13900001111', subject: `扫码 ${i}`, type: '故障' },
            photos: [{ data: PNG }],
          },
        }),
      ),
    )
    const year = new Date(clock.now().getTime() + 8 * 3_600_000).getUTCFullYear()
    expect(answers.map((x) => x.number).sort()).toEqual(
      Array.from({ length: N }, (_, i) => `GD-${year}-${String(i + 1).padStart(4, '0')}`),
    )
    const rows = await database.db
      .select()
      .from(serviceTickets)
      .where(eq(serviceTickets.tenantId, org.tenantId))
    expect(rows).toHaveLength(N)
    expect(new Set(rows.map((r) => r.statusToken)).size).toBe(N)
    const per = (u: string) => rows.filter((r) => r.ownerId === uid(org, u)).length
    expect([per('liuyang'), per('chenjing')]).toEqual([N / 2, N / 2])
    expect(rows.every((r) => r.status === 'assigned' && r.photos.length === 1 && r.channel === 'qr')).toBe(
      true,
    )
    for (const r of rows) expect(await storage.get(r.photos[0] ?? '')).not.toBeNull()
    const assignedCards = (await database.db.select().from(outbox).where(eq(outbox.tenantId, org.tenantId)))
      .filter((m) => m.topic === 'send.message')
      .filter((m) => JSON.stringify(m.payload).includes('"assigned"'))
    expect(assignedCards).toHaveLength(N)
  })

  it('submissions dropped by the rate limit inside a batch leave no gap in the numbers', async () => {
    const clock = mondayClock()
    const { org, mgr, customerId } = await tenantWithRule(clock)
    const code = await createIntakeCode({
      ctx: mgr,
      input: { label: '2号机', customerId, deviceLabel: 'SN-2' },
    })
    const storage = createMemoryStorage()
    const submit = (i: number, ip: string) =>
      submitServiceRequest({
        database,
        clock,
        logger: silent,
        storage,
        code: code.code,
        ip,
        input: {
          fields: { name: `客户${i}`, phone: '13900001111', subject: `扫码 ${i}`, type: '故障' },
          photos: [],
        },
      })
    // Twelve at once from one address (five allowed per ten minutes) and six from others.
    const answers = await Promise.all([
      ...Array.from({ length: 12 }, (_, i) => submit(i, '10.9.0.1')),
      ...Array.from({ length: 6 }, (_, i) => submit(100 + i, `10.9.1.${i}`)),
    ])
    expect(answers.filter((a) => a.outcome === 'spam')).toHaveLength(7)
    const year = new Date(clock.now().getTime() + 8 * 3_600_000).getUTCFullYear()
    const num = (n: number) => `GD-${year}-${String(n).padStart(4, '0')}`
    expect(answers.flatMap((a) => (a.number ? [a.number] : [])).sort()).toEqual(
      Array.from({ length: 11 }, (_, i) => num(i + 1)),
    )
    // A batch of dropped ones only hands its numbers back too: the next ticket is the twelfth.
    expect((await submit(200, '10.9.0.1')).outcome).toBe('spam')
    expect((await submit(201, '10.9.2.1')).number).toBe(num(12))
    const rows = await database.db
      .select()
      .from(serviceTickets)
      .where(eq(serviceTickets.tenantId, org.tenantId))
    expect(rows).toHaveLength(12)
  })

  it("a batch's dispatch counts and number draw are sent after the rules' lock, the write right after them", async () => {
    const url = testDatabaseUrl()
    expect(url).not.toBe('')
    const sent: string[] = []
    const counted = openPostgres(url, {
      max: 1,
      onStatement: (text) => sent.push(text.replace(/\s+/g, ' ')),
    })
    try {
      const clock = mondayClock()
      const { org } = await tenantWithRule(clock)
      sent.length = 0
      await withTransaction(systemCtx(counted, org, clock), (_tx, ctx) =>
        openTickets(ctx, [
          { fields: { subject: '异响', type: '故障' }, opts: { channel: 'api', owner: 'rules' } },
        ]),
      )
      const at = (re: RegExp) => sent.findIndex((t) => re.test(t))
      const lock = at(/from "service_dispatch_rules" .* for update/)
      expect(lock).toBeGreaterThan(0)
      for (const re of [/from "service_member_load"/, /from "users"/, /insert into "sales_number_series"/])
        expect(at(re)).toBeGreaterThan(lock)
      // begin, the reads with the lock and the counts, the write, commit: nothing waits between the lock and
      // the counts (the write is the next statement after the pipeline).
      expect(at(/^ ?with r as \( update service_dispatch_rules/)).toBe(
        at(/insert into "sales_number_series"/) + 1,
      )
    } finally {
      await counted.close()
    }
  })
})
