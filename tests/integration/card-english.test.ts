import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Card } from '../../bot/chat/model'
import { startInstance } from '../../bot/domain/approvals/start-instance'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import type { Database } from '../../db/client'
import { departments, notices, users } from '../../db/schema'
import { seedApprovalTemplates } from '../../db/seed/approvals'
import { seedNotices } from '../../db/seed/notices'
import type { SeededOrg } from '../../db/seed/org'
import { actingAs } from '../helpers/actors'
import {
  type CardSampleRecords,
  createSalesSamples,
  presenterNames,
  renderEveryCard,
} from '../helpers/card-samples'
import { dayFromNow } from '../helpers/dates'
import { createTestTenant, openTestDatabase } from '../helpers/db'

/** Chinese characters and full-width punctuation (（）：、，。「」). */
const CJK = /[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]/

/**
 * What people typed, which an English card shows as typed: the sample records' names and texts (customer,
 * notice, deal, lead, ticket, comments) and the directory's people and departments (read below). Deal
 * stages are not typed text: they have English names. Where the directory has a person's English name,
 * the cards checked below use it.
 */
const USER_DATA = [
  '华东精密机械有限公司',
  '华东精密 OA 项目',
  '华东精密 OA 合同',
  '华东精密',
  '华东',
  '流程卡 专业版',
  '泛微',
  '十二月安全生产检查',
  '各部门请于 12 月 5 日前完成自查。',
  '样例线索 王敏',
  '样例科技',
  '张三',
  '华为',
  '想了解报价',
  '王先生',
  '方案演示',
  '张伟的报销',
  '停滞商机',
  '下周上门演示',
  '上海市浦东新区世纪大道 100 号',
  '设备异响',
  '咨询',
  '故障',
  '维修',
  '打车',
  '销售',
]

/** Text on a card that is Chinese on purpose in every language: the button that switches to Chinese. */
const CHINESE_ON_PURPOSE = ['切换到中文']

let database: Database
let org: SeededOrg
let records: CardSampleRecords

beforeAll(async () => {
  database = await openTestDatabase()
  org = await createTestTenant(database, { tenantKey: `card-en-${Date.now()}` })
  await seedApprovalTemplates(database.db, org)
  await seedNotices(database.db, org)
  const ctx = actingAs(database, org, 'liuyang', 'api')
  const customer = await createCustomer({ ctx, input: { name: '华东精密机械有限公司' } })
  // 报销 · 差旅: the category option and the flow's step names have English names in the template.
  const view = await startInstance({
    ctx,
    input: {
      templateKey: 'expense',
      form: { category: 'travel', amount: 120_00, date: dayFromNow(-1), description: '打车' },
    },
  })
  const [notice] = await database.db
    .select({ id: notices.id })
    .from(notices)
    .where(eq(notices.tenantId, org.tenantId))
    .limit(1)
  if (!notice) throw new Error('no seeded notice')
  records = {
    customerId: customer.id,
    customerName: customer.name,
    approvalId: view.instance.id,
    templateKey: 'expense',
    noticeId: notice.id,
    ...(await createSalesSamples(ctx, customer.id)),
  }
})
afterAll(async () => database?.close())

/** Every text a reader sees on the card (button payloads are machine data, left out), one per line. */
function visibleTexts(card: Card): string[] {
  const out: string[] = []
  const walk = (node: unknown, key: string): void => {
    if (key === 'action' || key === 'link') return
    // A select option's value is what the tap sends back; its label is what the reader sees.
    if (key === 'options' && Array.isArray(node)) for (const o of node) out.push(String(o.label))
    else if (typeof node === 'string') out.push(node)
    else if (Array.isArray(node)) for (const x of node) walk(x, key)
    else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, k)
  }
  walk(card, '')
  return out
}

describe('English cards', () => {
  it('every card type in English shows no Chinese but what people typed', async () => {
    const ctx = { ...actingAs(database, org, 'liuyang', 'api'), locale: 'en' as const }
    const cards = await renderEveryCard(ctx, records, 'en')
    // Every presenter is rendered (a new one without a sample fails here, not silently).
    const rendered = new Set(Object.keys(cards))
    for (const name of await presenterNames()) expect(rendered, `${name} has no sample`).toContain(name)
    const people = await database.db
      .select({ name: users.name })
      .from(users)
      .where(eq(users.tenantId, org.tenantId))
    const depts = await database.db
      .select({ name: departments.name })
      .from(departments)
      .where(eq(departments.tenantId, org.tenantId))
    const typed = [...USER_DATA, ...people.map((p) => p.name), ...depts.map((d) => d.name)]
      // Longest first, so a name inside a longer one is not cut out of it first.
      .sort((a, b) => b.length - a.length)
    const found: string[] = []
    for (const [name, card] of Object.entries(cards)) {
      for (const text of visibleTexts(card)) {
        let rest = text
        for (const s of [...typed, ...CHINESE_ON_PURPOSE]) rest = rest.split(s).join('')
        if (CJK.test(rest)) found.push(`${name}: ${text}`)
      }
    }
    expect(found).toEqual([])
  })

  it('names people by their English name and deal stages by theirs', async () => {
    const [liuyang] = await database.db
      .select({ name: users.name, enName: users.enName })
      .from(users)
      .where(and(eq(users.tenantId, org.tenantId), eq(users.id, org.users.liuyang ?? '')))
    expect(liuyang?.enName).toBeTruthy()
    const ctx = { ...actingAs(database, org, 'liuyang', 'api'), locale: 'en' as const }
    const cards = await renderEveryCard(ctx, records, 'en')
    const texts = (name: string) => visibleTexts(cards[name] as Card).join('\n')
    // The contract's owner on the overdue reminder, the person and stage rows of the team digest.
    expect(texts('paymentOverdueCard')).toContain(liuyang?.enName ?? '?')
    expect(texts('paymentOverdueCard')).not.toContain(liuyang?.name ?? '?')
    expect(texts('teamDigestCard')).toContain(liuyang?.enName ?? '?')
    expect(texts('teamDigestCard')).toContain('Qualification')
    expect(texts('teamDigestCard')).not.toMatch(/初步接洽|刘洋/)
  })

  it('the same cards in Chinese use Chinese punctuation and names (the check can fail)', async () => {
    const cards = await renderEveryCard(actingAs(database, org, 'liuyang', 'api'), records, 'zh-CN')
    const texts = Object.values(cards).flatMap(visibleTexts).join('\n')
    expect(texts).toContain('差旅')
    expect(texts).toContain('直属上级')
    expect(CJK.test(texts)).toBe(true)
  })
})
