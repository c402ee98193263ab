/**
 * Channel analysis on the embedded PGlite (`npm run bench -- leads-pglite`): LEADS_PGLITE_LEADS leads
 * (default 100,000) over two years across 40 channels and 400 campaigns, rollups rebuilt once, then the
 * analysis (admin: rollups; a rep: their own leads) p95 over LEADS_PGLITE_RUNS random periods beside the
 * raw GROUP BY. Target: ≤ 200 ms at 100,000 leads.
 */
import { sql } from 'drizzle-orm'
import type { ServiceContext } from '../../bot/domain/context'
import { createCampaign, createChannel, listChannels } from '../../bot/domain/leads'
import { analyseChannels, rawChannelCounts } from '../../bot/domain/leads/analyse-channels'
import { chinaDay, rebuildRollups } from '../../bot/domain/leads/rollup'
import { newId } from '../../bot/lib/ids'
import { migrateDatabase, openDatabase } from '../../db/client'
import { demoOrg } from '../../db/seed/demo'
import { seedOrg } from '../../db/seed/org'
import { fmt, percentile } from './stats'

const N = Number(process.env.LEADS_PGLITE_LEADS ?? 100_000)
const RUNS = Number(process.env.LEADS_PGLITE_RUNS ?? 30)
const DAY = 86_400_000
const silent = { debug() {}, info() {}, warn() {}, error() {} }

const database = await openDatabase({ dataDir: 'memory://' })
await migrateDatabase(database)
const org = await database.db.transaction((tx) =>
  seedOrg(tx, demoOrg, { name: 'bench', platform: 'devchat', tenantKey: newId('tk') }),
)
const as = (key: string): ServiceContext => ({
  tenantId: org.tenantId,
  actor: { kind: 'user', userId: org.users[key] ?? '', via: 'api' },
  db: database.db,
  clock: { now: () => new Date() },
  logger: silent,
})
const admin = as('wangjianguo')
for (let i = (await listChannels({ ctx: admin })).length; i < 40; i++)
  await createChannel({ ctx: admin, input: { name: `渠道${i}` } })
const channels = (await listChannels({ ctx: admin })).map((c) => c.id)
const campaigns: string[] = []
for (let i = 0; i < 400; i++)
  campaigns.push(
    (
      await createCampaign({
        ctx: admin,
        input: { channelId: channels[i % channels.length] ?? '', name: `活动${i}` },
      })
    ).id,
  )
const reps = ['liuyang', 'chenjing', 'yangfan', 'huangli', 'zhoujie', 'wumin'].map((k) => org.users[k] ?? '')
const arr = (xs: string[]) => sql.raw(`array[${xs.map((x) => `'${x}'`).join(',')}]::text[]`)
const now = Date.now()
let t0 = performance.now()
await database.db.execute(sql`
  insert into crm_leads (id, tenant_id, name, status, owner_id, channel_id, campaign_id, first_contacted_at,
    converted_at, sla_state, created_at, updated_at)
  select 'lea_p' || k, ${org.tenantId}, '线索' || k, st,
    case when k % 10 = 0 then null else (${arr(reps)})[1 + k % ${reps.length}] end,
    (${arr(channels)})[1 + k % ${channels.length}],
    case when k % 3 = 0 then null else (${arr(campaigns)})[1 + k % ${campaigns.length}] end,
    case when st = 'new' then null else c + ((k % 240) + 5) * interval '1 minute' end,
    case when st = 'converted' then c + ((k % 30) + 1) * interval '1 day' end,
    (case when k % 7 = 0 then 'breached' else 'met' end)::crm_lead_sla_state, c, c
  from (select k, to_timestamp(${Math.floor(now / 1000)} - (k::bigint * 7919) % (730 * 86400)) as c,
          (array['new','contacted','qualified','converted','invalid'])[1 + k % 5]::crm_lead_status as st
        from generate_series(0, ${N - 1}) k) s`)
const loadS = (performance.now() - t0) / 1000
t0 = performance.now()
await database.db.transaction((tx) => rebuildRollups({ ...admin, db: tx }))
const rebuildS = (performance.now() - t0) / 1000
await database.db.execute(sql`vacuum analyze`)
console.log(`loaded ${N} leads in ${fmt(loadS)} s, rollups rebuilt in ${fmt(rebuildS)} s`)
for (const key of ['wangjianguo', 'liuyang']) {
  const ctx = as(key)
  const api: number[] = []
  const raw: number[] = []
  for (let r = 0; r < RUNS; r++) {
    const to = chinaDay(new Date(now - ((r * 13) % 300) * DAY))
    const from = chinaDay(new Date(now - (((r * 13) % 300) + 30 + (r % 5) * 60) * DAY))
    const by = r % 2 ? 'campaign' : 'channel'
    let s = performance.now()
    await analyseChannels({ ctx, input: { from, to, by } })
    api.push(performance.now() - s)
    s = performance.now()
    await rawChannelCounts({ ctx, input: { from, to, by } })
    raw.push(performance.now() - s)
  }
  const p = percentile(api, 95)
  const b = percentile(raw, 95)
  console.log(
    `BENCH leads-pglite analysis_p95_${key} ${fmt(p)} ms target <=200 baseline ${fmt(b)} ratio ${fmt(p / b, 2)}`,
  )
}
await database.close()
