import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveActor } from '../../bot/domain/org/resolve-actor'
import { systemClock } from '../../bot/lib/clock'
import { PlatformRegistry } from '../../bot/platforms/registry'
import {
  analyzeStaleEmbedded,
  type Database,
  freezeOldEmbedded,
  migrateDatabase,
  openDatabase,
  vacuumEmbedded,
  warmEmbeddedCatalog,
} from '../../db/client'
import { InlineQueue } from '../../jobs/drivers/inline'
import { housekeeping } from '../../jobs/processors/housekeeping'
import { bulkOpenId, createBulkFeishuTenant } from '../bench/notices-fixtures'
import { openTestDatabase } from '../helpers/db'

// The embedded database (PGlite) runs no autovacuum: the product fills its catalog caches at start, analyzes
// the tables whose statistics are missing or stale (at start and in housekeeping), vacuums the tables
// housekeeping empties, and freezes tables before their transaction ids wrap around. PostgreSQL is left to its
// own autovacuum.
const silent = { debug() {}, info() {}, warn() {}, error() {}, fatal() {}, child: () => silent }

let embedded: Database
beforeAll(async () => {
  embedded = await openDatabase({ dataDir: 'memory://' })
  await migrateDatabase(embedded)
}, 120_000) // opening and migrating PGlite takes seconds when the whole suite shares the cores
afterAll(async () => {
  await embedded?.close()
})

const relStats = async (table: string) =>
  (
    await embedded.rows<{ reltuples: number; allVisible: number; analyzed: number }>(sql`
      select c.reltuples::float8 as reltuples, c.relallvisible as "allVisible",
        (select count(*)::int from pg_statistic s where s.starelid = c.oid) as analyzed
      from pg_class c where c.oid = ${`public.${table}`}::regclass`)
  )[0]

describe('the embedded database’s upkeep', () => {
  it('reads every table once for the catalog, answering a request meanwhile', async () => {
    const [all] = await embedded.rows<{ n: number }>(
      sql`select count(*)::int as n from pg_tables where schemaname = 'public'`,
    )
    expect(all?.n).toBeGreaterThan(50)
    const warming = warmEmbeddedCatalog(embedded)
    let warmed = false
    void warming.then(() => {
      warmed = true
    })
    // One statement at a time in the background lane: a request is answered before the warm-up ends.
    await embedded.db.execute(sql`select 1`)
    expect(warmed).toBe(false)
    expect(await warming).toBe(all?.n)
  })

  it('analyzes the tables that grew (never analyzed, or a fifth bigger) and then plans the tapper lookup by open id', async () => {
    await createBulkFeishuTenant(embedded, { n: 2000, tenantKey: 'tk_upkeep', run: 'up1' })
    expect((await relStats('user_identities'))?.analyzed).toBe(0)
    const analyzed = await analyzeStaleEmbedded(embedded)
    expect(analyzed).toEqual(expect.arrayContaining(['public.users', 'public.user_identities']))
    // Empty tables have nothing to learn from.
    expect(analyzed).not.toContain('public.crm_visits')
    const identities = await relStats('user_identities')
    expect(identities?.reltuples).toBe(2000)
    expect(identities?.analyzed).toBeGreaterThan(0)
    // Nothing grew since: nothing to do.
    expect(await analyzeStaleEmbedded(embedded)).toEqual([])

    // The lookup every card tap and chat message makes goes through the (tenant, platform, open id) index
    // (without statistics it scanned the tenant's identities through the user-id index).
    const plan = await embedded.rows<{ 'QUERY PLAN': string }>(sql`
      explain select t.id, u.id from tenants t
      left join user_identities ui on ui.tenant_id = t.id and ui.platform = 'feishu'
        and ui.open_id = ${bulkOpenId('up1', 5)}
      left join users u on u.id = ui.user_id
      where t.platform = 'feishu' and t.platform_tenant_key = 'tk_upkeep' limit 1`)
    expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toContain('user_identities_open_uq')
    const actor = await resolveActor(embedded.db, 'feishu', 'tk_upkeep', bulkOpenId('up1', 5))
    expect(actor?.user?.name).toBe('员工5')

    // A second tenant of 2,000 doubles the directory: those tables again, and only tables that grew.
    await createBulkFeishuTenant(embedded, { n: 2000, tenantKey: 'tk_upkeep2', run: 'up2' })
    const again = await analyzeStaleEmbedded(embedded)
    expect(again).toEqual(expect.arrayContaining(['public.users', 'public.user_identities']))
    expect(again).not.toContain('public.crm_customers')
    expect((await relStats('user_identities'))?.reltuples).toBe(4000)
  })

  it('housekeeping deletes the finished outbox rows of over a week ago and vacuums the table', async () => {
    await embedded.db.execute(sql`
      insert into outbox (topic, payload, status, finished_at)
      select 'upkeep.test', '{}'::jsonb, 'done', now() - interval '8 days' from generate_series(1, 300)`)
    await embedded.db.execute(sql`
      insert into outbox (topic, payload, status, finished_at)
      select 'upkeep.test', '{}'::jsonb, 'done', now() - interval '1 day' from generate_series(1, 40)`)
    const queue = new InlineQueue()
    try {
      await housekeeping({
        database: embedded.background?.() ?? embedded,
        queue,
        logger: silent,
        clock: systemClock,
        platforms: new PlatformRegistry(),
      })()
    } finally {
      await queue.close(1_000)
    }
    const [left] = await embedded.rows<{ n: number }>(
      sql`select count(*)::int as n from outbox where topic = 'upkeep.test'`,
    )
    expect(left?.n).toBe(40)
    // Vacuumed: its pages marked all-visible (only VACUUM sets the visibility map; ANALYZE counts rows too,
    // so the row count alone would not tell), and the live rows counted.
    const [outbox] = await embedded.rows<{ n: number }>(sql`select count(*)::int as n from outbox`)
    const stats = await relStats('outbox')
    expect(stats?.allVisible).toBeGreaterThan(0)
    expect(stats?.reltuples).toBe(outbox?.n)
  })

  it('freezes the tables whose transaction ids have grown old, and only those', async () => {
    const oldest = async () =>
      (
        await embedded.rows<{ age: number }>(sql`
          select max(age(c.relfrozenxid))::int as age from pg_class c
          join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind = 'r'`)
      )[0]?.age ?? 0
    // Forty transactions, each taking a transaction id: every table is now at least that old.
    for (let i = 0; i < 40; i++)
      await embedded.db.execute(sql`insert into outbox (topic, payload) values ('upkeep.xid', '{}'::jsonb)`)
    const before = await oldest()
    expect(before).toBeGreaterThan(40)
    // Below the default age (150 million) nothing is due.
    expect(await freezeOldEmbedded(embedded)).toEqual([])
    // With every table due (age over 0): all frozen, the oldest age back to a handful of transactions.
    const frozen = await freezeOldEmbedded(embedded, 0)
    expect(frozen).toEqual(expect.arrayContaining(['public.users', 'public.outbox', 'public.crm_customers']))
    expect(await oldest()).toBeLessThan(20)
    expect(await freezeOldEmbedded(embedded, 20)).toEqual([])
  })
})

describe('on PostgreSQL', () => {
  let database: Database
  beforeAll(async () => {
    database = await openTestDatabase()
  })
  afterAll(async () => {
    await database?.close()
  })

  it('leaves analyzing and vacuuming to its autovacuum', async () => {
    if (database.kind !== 'postgres') return
    expect(await analyzeStaleEmbedded(database)).toEqual([])
    await vacuumEmbedded(database, ['outbox'])
    expect(await freezeOldEmbedded(database, 0)).toEqual([])
    expect(await warmEmbeddedCatalog(database)).toBe(0)
  })
})
