import { buildSearch, normaliseCompanyName } from '../../bot/domain/crm'
import { newId } from '../../bot/lib/ids'
import type { DbOrTx } from '../client'
import {
  contacts,
  customerRelations,
  customers,
  type DecisionRole,
  type FollowUpKind,
  followUps,
  visits,
} from '../schema'
import type { SeededOrg } from './org'

interface DemoCustomer {
  name: string
  short: string
  owner: string | null
  industry: string
  tier: string
  district: string
  lat: number
  lng: number
  address: string
  phone: string
  contacts: Array<[string, string, DecisionRole, string]>
  followUps: Array<[FollowUpKind, string, number]>
}

/** Demo customers of 云帆科技's sales teams: real-sounding companies, real districts and coordinates. */
const DEMO: DemoCustomer[] = [
  {
    name: '上海浦江智能装备有限公司',
    short: '浦江智能',
    owner: 'liuyang',
    industry: '制造',
    tier: 'A',
    district: '310115',
    lat: 31.2213,
    lng: 121.5446,
    address: '上海市浦东新区张江路 88 号',
    phone: '021-58881234',
    contacts: [
      ['周海涛', '采购总监', 'decision_maker', '13816620001'],
      ['沈丽', '设备工程师', 'evaluator', '13816620002'],
    ],
    followUps: [
      ['visit', '现场演示了审批与 CRM 一体化方案，对方关注与 ERP 的对接。', 3],
      ['call', '确认下周二进行技术交流，对方 IT 负责人参加。', 1],
    ],
  },
  {
    name: '杭州西湖云数科技有限公司',
    short: '西湖云数',
    owner: 'liuyang',
    industry: '互联网',
    tier: 'B',
    district: '330106',
    lat: 30.2741,
    lng: 120.1551,
    address: '杭州市西湖区文三路 478 号',
    phone: '0571-88776655',
    contacts: [['陆明', 'CTO', 'decision_maker', '13957110001']],
    followUps: [['email', '发送了报价单和实施计划。', 6]],
  },
  {
    name: '苏州工业园区恒泰精密制造股份有限公司',
    short: '恒泰精密',
    owner: 'chenjing',
    industry: '制造',
    tier: 'A',
    district: '320506',
    lat: 31.3166,
    lng: 120.7235,
    address: '苏州工业园区星湖街 328 号',
    phone: '0512-62881100',
    contacts: [
      ['顾建华', '总经理', 'decision_maker', '13913510001'],
      ['朱婷', '行政主管', 'gatekeeper', '13913510002'],
    ],
    followUps: [['meeting', '与总经理会面，初步认可方案，等待预算审批。', 2]],
  },
  {
    name: '南京金陵医药连锁有限公司',
    short: '金陵医药',
    owner: 'yangfan',
    industry: '医疗',
    tier: 'B',
    district: '320106',
    lat: 32.0603,
    lng: 118.7969,
    address: '南京市鼓楼区中山北路 105 号',
    phone: '025-83334455',
    contacts: [['孙晓', '信息部经理', 'influencer', '13851780001']],
    followUps: [['call', '对方正在比较三家供应商，约下月复盘。', 12]],
  },
  {
    name: '北京中关村华信软件有限公司',
    short: '华信软件',
    owner: 'huangli',
    industry: '软件',
    tier: 'A',
    district: '110108',
    lat: 39.9834,
    lng: 116.3162,
    address: '北京市海淀区中关村大街 27 号',
    phone: '010-62556677',
    contacts: [['赵一鸣', '副总裁', 'decision_maker', '13911080001']],
    followUps: [['visit', '拜访副总裁，讨论年度框架合同。', 4]],
  },
  {
    name: '天津滨海新港物流集团有限公司',
    short: '新港物流',
    owner: 'zhoujie',
    industry: '物流',
    tier: 'B',
    district: '120116',
    lat: 39.0032,
    lng: 117.7105,
    address: '天津市滨海新区新港二号路 6 号',
    phone: '022-25889900',
    contacts: [['马立新', '运营总监', 'user', '13820220001']],
    followUps: [['message', '发送了司机端签到演示视频。', 20]],
  },
  {
    name: '石家庄冀中建材贸易有限公司',
    short: '冀中建材',
    owner: 'wumin',
    industry: '建材',
    tier: 'C',
    district: '130102',
    lat: 38.0428,
    lng: 114.5149,
    address: '石家庄市长安区中山东路 39 号',
    phone: '0311-86012345',
    contacts: [['高峰', '老板', 'decision_maker', '13931110001']],
    followUps: [],
  },
  {
    name: '中国银行股份有限公司北京市分行',
    short: '中行北京',
    owner: 'huangli',
    industry: '金融',
    tier: 'A',
    district: '110102',
    lat: 39.9139,
    lng: 116.3612,
    address: '北京市西城区复兴门内大街 1 号',
    phone: '010-66596688',
    contacts: [['钱卫东', '科技部总经理', 'decision_maker', '13910000001']],
    followUps: [['meeting', '参加了分行科技部的供应商交流会。', 8]],
  },
  {
    name: '深圳前海微链科技有限公司',
    short: '微链科技',
    owner: null,
    industry: '互联网',
    tier: 'C',
    district: '440305',
    lat: 22.5431,
    lng: 113.9344,
    address: '深圳市南山区前海深港合作区',
    phone: '0755-86668888',
    contacts: [],
    followUps: [],
  },
  {
    name: '武汉光谷新能源电池有限公司',
    short: '光谷新能源',
    owner: null,
    industry: '能源',
    tier: 'B',
    district: '420111',
    lat: 30.5066,
    lng: 114.4109,
    address: '武汉市洪山区光谷大道 77 号',
    phone: '027-87665544',
    contacts: [],
    followUps: [],
  },
]

/** Seeds the demo customers, their contacts, follow-ups, a visit and a relation. */
export async function seedCrm(db: DbOrTx, org: SeededOrg): Promise<void> {
  const now = Date.now()
  const ids: string[] = []
  for (const c of DEMO) {
    const id = newId('cus')
    ids.push(id)
    const ownerId = c.owner ? (org.users[c.owner] ?? null) : null
    const last = c.followUps.length
      ? new Date(now - Math.min(...c.followUps.map((f) => f[2])) * 86_400_000)
      : null
    await db.insert(customers).values({
      id,
      tenantId: org.tenantId,
      name: c.name,
      shortName: c.short,
      nameNorm: normaliseCompanyName(c.name),
      phone: c.phone.replace(/[^\d]/g, ''),
      industry: c.industry,
      tier: c.tier,
      tags: c.tier === 'A' ? ['重点客户'] : [],
      provinceCode: `${c.district.slice(0, 2)}0000`,
      cityCode: `${c.district.slice(0, 4)}00`,
      districtCode: c.district,
      address: c.address,
      lat: c.lat,
      lng: c.lng,
      source: '演示数据',
      ownerId,
      ownedSince: ownerId ? new Date(now - 40 * 86_400_000) : null,
      lastFollowedUpAt: last,
      reclaimDueAt: ownerId ? new Date((last?.getTime() ?? now - 40 * 86_400_000) + 30 * 86_400_000) : null,
      ...buildSearch({
        name: c.name,
        shortName: c.short,
        phones: [c.phone, ...c.contacts.map((p) => p[3])],
        contactNames: c.contacts.map((p) => p[0]),
      }),
      createdById: ownerId,
    })
    if (c.contacts.length) {
      await db.insert(contacts).values(
        c.contacts.map(([name, title, role, phone], i) => ({
          id: newId('con'),
          tenantId: org.tenantId,
          customerId: id,
          name,
          title,
          decisionRole: role,
          phone,
          isPrimary: i === 0,
        })),
      )
    }
    if (c.followUps.length) {
      await db.insert(followUps).values(
        c.followUps.map(([kind, content, daysAgo]) => ({
          id: newId('fup'),
          tenantId: org.tenantId,
          customerId: id,
          authorId: ownerId,
          kind,
          content,
          createdAt: new Date(now - daysAgo * 86_400_000),
        })),
      )
    }
    const visit = c.followUps.find((f) => f[0] === 'visit')
    if (visit && ownerId) {
      const at = new Date(now - visit[2] * 86_400_000)
      await db.insert(visits).values({
        id: newId('vis'),
        tenantId: org.tenantId,
        customerId: id,
        userId: ownerId,
        status: 'checked_out',
        checkInAt: at,
        checkInLat: c.lat + 0.0004,
        checkInLng: c.lng - 0.0003,
        checkInDistanceM: 50,
        checkOutAt: new Date(at.getTime() + 5400_000),
        summary: visit[1],
        createdAt: at,
      })
    }
  }
  const [a, , c] = ids
  if (a && c) {
    await db.insert(customerRelations).values({
      id: newId('rel'),
      tenantId: org.tenantId,
      fromCustomerId: c,
      toCustomerId: a,
      kind: 'supplier',
      note: '精密零部件供应',
    })
  }
}
