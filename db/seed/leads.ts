import { and, eq, inArray } from 'drizzle-orm'
import type { ServiceContext } from '../../bot/domain/context'
import {
  addLeadFollowUp,
  convertLead,
  createAssignmentRule,
  createCampaign,
  createLead,
  LEAD_NOTIFY,
  LEAD_TIMER,
  listChannels,
  markLeadInvalid,
  setCampaignCost,
  setLeadStatus,
} from '../../bot/domain/leads'
import type { Clock } from '../../bot/lib/clock'
import type { DbOrTx } from '../client'
import { outbox } from '../schema'
import type { SeededOrg } from './org'

const DAY = 86_400_000
const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗'
const GIVEN = ['伟', '芳', '娜', '敏', '静', '强', '磊', '洋', '艳', '杰', '军', '勇', '霞', '涛', '明', '超']
const CITIES = ['上海', '杭州', '苏州', '南京', '北京', '天津', '合肥', '宁波', '无锡', '济南']
const TRADES = [
  '精密机械',
  '新材料',
  '智能科技',
  '电子',
  '医疗器械',
  '物流',
  '环保科技',
  '食品',
  '汽车零部件',
  '软件',
]
const PRODUCTS = ['CRM 标准版', 'CRM 企业版', '审批流程', '移动外勤', '数据报表']
const NEEDS = ['想了解报价', '需要演示', '咨询私有化部署', '比较几家供应商', '下季度有预算']
/** Enough for every channel to show figures; each lead runs the real verbs, so the first start pays for them. */
const DEMO_LEADS = 120
const REPS = ['liuyang', 'chenjing', 'yangfan', 'huangli', 'zhoujie', 'wumin']

/** How each channel tends to perform in the demo: share of leads, contact, qualify and win odds. */
const PROFILE: Record<string, { weight: number; contact: number; qualify: number; win: number }> = {
  search_ads: { weight: 30, contact: 0.85, qualify: 0.45, win: 0.35 },
  feed_ads: { weight: 30, contact: 0.7, qualify: 0.25, win: 0.2 },
  web_form: { weight: 15, contact: 0.9, qualify: 0.5, win: 0.4 },
  expo: { weight: 10, contact: 0.8, qualify: 0.4, win: 0.3 },
  referral: { weight: 8, contact: 0.95, qualify: 0.7, win: 0.6 },
  phone: { weight: 5, contact: 1, qualify: 0.5, win: 0.4 },
  other: { weight: 2, contact: 0.5, qualify: 0.2, win: 0.1 },
}

/**
 * The demo's leads: campaigns with monthly costs on the ad channels, an assignment rule, and ~200 leads
 * (DEMO_LEADS) over the past four months (dates relative to now) worked to different stages, so the channel analysis of
 * `npm start` shows real figures. Built through the domain verbs with a moving clock (the rollup and the
 * timeline are as real as in use); the timers and cards those past events would have queued are dropped.
 */
export async function seedLeads(db: DbOrTx, org: SeededOrg): Promise<void> {
  const real = Date.now()
  let at = real - 120 * DAY
  const clock: Clock = { now: () => new Date(at) }
  const ctxOf = (key: string | null): ServiceContext => ({
    tenantId: org.tenantId,
    actor: key
      ? { kind: 'user', userId: org.users[key] ?? '', via: 'miniapp' }
      : { kind: 'system', reason: 'seed' },
    db,
    clock,
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  })
  const admin = ctxOf('wangjianguo')
  const channels = await listChannels({ ctx: admin })
  const byCode = new Map(channels.map((c) => [c.code ?? '', c.id]))
  const ch = (code: string) => byCode.get(code) ?? ''
  const campaigns = [
    { code: 'search_ads', name: '百度品牌词', utm: 'baidu_brand', budget: 3_000_000, monthly: 650_000 },
    { code: 'search_ads', name: '360 通用词', utm: '360_generic', budget: 1_000_000, monthly: 220_000 },
    { code: 'feed_ads', name: '抖音信息流', utm: 'douyin_feed', budget: 4_000_000, monthly: 900_000 },
    { code: 'feed_ads', name: '朋友圈广告', utm: 'wechat_moments', budget: 2_000_000, monthly: 400_000 },
    { code: 'expo', name: '上海工博会', utm: 'ciif', budget: 1_500_000, monthly: 0 },
  ]
  const campaignIds: Record<string, string[]> = {}
  const startMonth = new Date(real - 120 * DAY)
  for (const c of campaigns) {
    const dto = await createCampaign({
      ctx: admin,
      input: {
        channelId: ch(c.code),
        name: c.name,
        utmCampaign: c.utm,
        budgetCents: c.budget,
        startsOn: new Date(real - 125 * DAY).toISOString().slice(0, 10),
      },
    })
    const list = campaignIds[c.code] ?? []
    list.push(dto.id)
    campaignIds[c.code] = list
    for (let m = 0; m < 5; m++) {
      const d = new Date(Date.UTC(startMonth.getUTCFullYear(), startMonth.getUTCMonth() + m, 1))
      if (d.getTime() > real) break
      const amount = c.code === 'expo' ? (m === 1 ? 1_200_000 : 0) : c.monthly + ((m * 37_000) % 90_000)
      if (amount > 0)
        await setCampaignCost({
          ctx: admin,
          campaignId: dto.id,
          input: { month: d.toISOString().slice(0, 7), amountCents: amount },
        })
    }
  }
  await createAssignmentRule({
    ctx: admin,
    input: {
      name: '广告线索轮流分配',
      match: { channelIds: [ch('search_ads'), ch('feed_ads'), ch('web_form')] },
      method: 'round_robin',
      members: ['liuyang', 'chenjing', 'yangfan'].map((k) => ({ userId: org.users[k] ?? '', capacity: 300 })),
    },
  })
  let seed = 20_240_601
  const rnd = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
    return seed / 2_147_483_648
  }
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T
  const codes = Object.keys(PROFILE)
  const total = codes.reduce((s, k) => s + (PROFILE[k]?.weight ?? 0), 0)
  const step = (118 * DAY) / DEMO_LEADS
  for (let i = 0; i < DEMO_LEADS; i++) {
    at = real - 120 * DAY + i * step + Math.floor(rnd() * step * 0.8)
    const r = rnd() * total
    let acc = 0
    const code =
      codes.find((k) => {
        acc += PROFILE[k]?.weight ?? 0
        return r < acc
      }) ?? 'other'
    const p = PROFILE[code] as (typeof PROFILE)[string]
    const city = pick(CITIES)
    const company = `${city}${pick(TRADES)}${i}号有限公司`
    const owner =
      code === 'search_ads' || code === 'feed_ads' || code === 'web_form'
        ? undefined
        : rnd() < 0.15
          ? null
          : pick(REPS)
    const camp = campaignIds[code]
    const res = await createLead({
      ctx: owner ? ctxOf(owner) : ctxOf(null),
      input: {
        name: `${pick([...SURNAMES])}${pick(GIVEN)}`,
        company,
        phone: `13${String(100_000_000 + i * 7919).slice(0, 9)}`,
        region: city,
        productInterest: pick(PRODUCTS),
        message: pick(NEEDS),
        channelId: ch(code),
        ...(camp && rnd() < 0.85 ? { campaignId: pick(camp) } : {}),
        ...(owner === null ? { ownerId: null } : {}),
        ...(owner === undefined ? { ownerId: 'rules' } : {}),
      },
    })
    const lead = res.lead
    if (!lead?.ownerId) continue
    const rep = Object.entries(org.users).find(([, id]) => id === lead.ownerId)?.[0] ?? null
    const ctx = ctxOf(rep)
    const base = at
    const age = real - base
    if (rnd() < 0.08 && age > 2 * DAY) {
      at = base + DAY
      await markLeadInvalid({
        ctx,
        leadId: lead.id,
        input: { reason: pick(['空号/错号', '无需求', '同行/广告']) },
      })
      continue
    }
    if (rnd() > p.contact || age < 3 * 3_600_000) continue
    at = base + Math.floor((0.1 + rnd() * (rnd() < 0.2 ? 6 : 1.2)) * 3_600_000)
    await addLeadFollowUp({
      ctx,
      leadId: lead.id,
      input: { kind: 'call', content: `电话沟通：${lead.message ?? '了解需求'}` },
    })
    if (rnd() > p.qualify || age < 3 * DAY) continue
    at = base + Math.floor((1 + rnd() * 3) * DAY)
    await setLeadStatus({ ctx, leadId: lead.id, input: { status: 'qualified' } })
    if (rnd() > p.win / Math.max(p.qualify, 0.01) || age < 10 * DAY) continue
    at = base + Math.floor((5 + rnd() * 20) * DAY)
    if (at > real) continue
    await convertLead({ ctx, leadId: lead.id, input: {} })
  }
  // The cards and timers those past events queued are history, not work to do now.
  await db
    .delete(outbox)
    .where(and(eq(outbox.tenantId, org.tenantId), inArray(outbox.topic, [LEAD_NOTIFY, LEAD_TIMER])))
}
