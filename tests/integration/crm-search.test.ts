import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addContact } from '../../bot/domain/crm/add-contact'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { searchCustomers } from '../../bot/domain/crm/search-customers'
import { type Database, migrateDatabase, openDatabase } from '../../db/client'
import { openTestDatabase } from '../helpers/db'
import { type CrmTenant, crmTenant, ctxAs } from './crm-harness'

const NAMES: Array<[string, string | null]> = [
  ['中国银行股份有限公司', '中行'],
  ['中国工商银行股份有限公司', '工行'],
  ['招商银行股份有限公司', '招行'],
  ['华为技术有限公司', '华为'],
  ['深圳市华侨城集团有限公司', null],
  ['中国平安保险（集团）股份有限公司', '平安'],
  ['长城汽车股份有限公司', null],
]

async function seed(database: Database): Promise<CrmTenant> {
  const org = await crmTenant(database)
  const rep = ctxAs(database, org, 'liuyang')
  for (const [name, shortName] of NAMES) {
    const c = await createCustomer({
      ctx: rep,
      input: {
        name,
        shortName,
        phone: name.startsWith('华为') ? '0755-28780808' : null,
        tags: name.startsWith('华为') ? ['重点', '民企'] : [],
      },
    })
    if (name.startsWith('招商'))
      await addContact({ ctx: rep, customerId: c.id, input: { name: '欧阳娜娜', phone: '13912345678' } })
  }
  // Someone else's customer never shows up for the rep.
  await createCustomer({ ctx: ctxAs(database, org, 'huangli'), input: { name: '中国建设银行股份有限公司' } })
  return org
}

const cases: Array<[string, string[]]> = [
  ['中', ['中国银行股份有限公司', '中国工商银行股份有限公司', '中国平安保险（集团）股份有限公司']],
  ['华为', ['华为技术有限公司']],
  ['银行', ['中国银行股份有限公司', '中国工商银行股份有限公司', '招商银行股份有限公司']],
  ['中国银', ['中国银行股份有限公司']],
  ['zgyh', ['中国银行股份有限公司']],
  ['ZGYH', ['中国银行股份有限公司']],
  ['huawei', ['华为技术有限公司']],
  ['hw', ['华为技术有限公司']],
  ['zhaoshang', ['招商银行股份有限公司']],
  ['欧阳', ['招商银行股份有限公司']],
  ['欧阳娜娜', ['招商银行股份有限公司']],
  ['28780808', ['华为技术有限公司']],
  ['工行', ['中国工商银行股份有限公司']],
  ['华侨城', ['深圳市华侨城集团有限公司']],
  ['建设银行', []],
]

function searchSuite(name: string, open: () => Promise<Database>) {
  describe(`searchCustomers on ${name}`, () => {
    let database: Database
    let org: CrmTenant
    beforeAll(async () => {
      database = await open()
      org = await seed(database)
    }, 120_000)
    afterAll(async () => database.close())

    it('classifies Chinese as trigram characters (C.UTF-8)', async () => {
      const [row] = await database.rows<{ ok: boolean }>(sql`select show_trgm('张三丰') <> '{}' as ok`)
      expect(row?.ok).toBe(true)
    })

    it.each(cases)('finds %s', async (q, expected) => {
      const hits = await searchCustomers({ ctx: ctxAs(database, org, 'liuyang'), input: { q } })
      expect(hits.map((h) => h.name).sort()).toEqual([...expected].sort())
    })

    it('ranks the exact short name first', async () => {
      const hits = await searchCustomers({ ctx: ctxAs(database, org, 'liuyang'), input: { q: '中行' } })
      expect(hits[0]?.name).toBe('中国银行股份有限公司')
    })

    it('the manager above sees the team’s customers; the admin sees all', async () => {
      const manager = await searchCustomers({ ctx: ctxAs(database, org, 'zhangwei'), input: { q: '银行' } })
      expect(manager).toHaveLength(3)
      const admin = await searchCustomers({ ctx: ctxAs(database, org, 'wangjianguo'), input: { q: '银行' } })
      expect(admin).toHaveLength(4)
    })

    it('filters by department and below and by tags on this database too', async () => {
      const admin = ctxAs(database, org, 'wangjianguo')
      const north = await searchCustomers({
        ctx: admin,
        input: { q: '银行', departmentId: org.departments.sales_north ?? '' },
      })
      expect(north.map((h) => h.name)).toEqual(['中国建设银行股份有限公司'])
      const sales = await searchCustomers({
        ctx: admin,
        input: { q: '银行', departmentId: org.departments.sales ?? '' },
      })
      expect(sales).toHaveLength(4)
      const tagged = await searchCustomers({ ctx: admin, input: { tags: '国企,重点' } })
      expect(tagged.map((h) => h.name)).toEqual(['华为技术有限公司'])
      const both = await searchCustomers({
        ctx: admin,
        input: { q: 'hw', tags: '民企,重点', tagMode: 'all' },
      })
      expect(both.map((h) => h.name)).toEqual(['华为技术有限公司'])
      expect(await searchCustomers({ ctx: admin, input: { q: '银行', tags: '重点' } })).toEqual([])
      expect(await searchCustomers({ ctx: admin, input: { tags: '重点,国企', tagMode: 'all' } })).toEqual([])
    })
  })
}

searchSuite('PostgreSQL', openTestDatabase)
searchSuite('PGlite', async () => {
  const database = await openDatabase({ dataDir: 'memory://' })
  await migrateDatabase(database)
  return database
})
