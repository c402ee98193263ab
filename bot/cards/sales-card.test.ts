import { describe, expect, it } from 'vitest'
import type { OpportunityDto } from '../domain/opportunities'
import { opportunityCard } from './sales-card'

const deal: OpportunityDto = {
  id: 'opp_1',
  name: '华为 流程卡',
  customer: { id: 'cus_1', name: '华为技术有限公司' },
  stageSetId: 'sst_1',
  stage: { id: 'stg_1', name: '需求确认', nameEn: 'Needs confirmed', probability: 30, kind: 'open' },
  status: 'open',
  amountCents: 5_000_000,
  amountSource: 'manual',
  expectedCloseDate: '2026-07-01',
  owner: { id: 'usr_1', name: '刘洋', department: '华东销售部' },
  teamIds: [],
  competitors: ['泛微'],
  channel: null,
  campaign: null,
  leadId: null,
  closeReason: null,
  closeNote: null,
  closedAt: null,
  stageEnteredAt: '2026-06-01T00:00:00.000Z',
  lastActivityAt: '2026-06-01T00:00:00.000Z',
  closeDateSlips: 0,
  winProbability: 21,
  probabilityFactors: [
    { factor: '竞争对手', value: '有', factorEn: 'Competitor', valueEn: 'Yes', effect: -29 },
    // Computed before English labels existed: the reader falls back to the Chinese ones.
    { factor: '金额', value: '1万-10万', effect: 2 },
  ],
  version: 1,
  createdAt: '2026-06-01T00:00:00.000Z',
  updatedAt: '2026-06-01T00:00:00.000Z',
}

const notes = (locale: 'zh-CN' | 'en') =>
  opportunityCard(deal, undefined, locale)
    .elements.filter((e) => e.type === 'note')
    .map((e) => (e as { text: string }).text)

describe('opportunityCard factors', () => {
  it("are labelled in the reader's language", () => {
    expect(notes('en')[0]).toBe('Competitor: Yes -29%；金额: 1万-10万 +2%')
    expect(notes('zh-CN')[0]).toBe('竞争对手: 有 -29%；金额: 1万-10万 +2%')
  })
})
