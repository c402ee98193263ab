import { describe, expect, it } from 'vitest'
import { mapPushedLead } from './presets'

describe('mapPushedLead', () => {
  it('maps a 巨量引擎 clue: id, contact, region, campaign and the custom form answers', () => {
    const m = mapPushedLead(
      'oceanengine',
      {},
      {
        clue_id: 7123456789,
        name: '王五',
        telephone: '13900001234',
        province_name: '安徽',
        city_name: '合肥',
        promotion_id: 'p-1',
        promotion_name: '春季投放',
        remark_dict: { 预算: '10万' },
        clue_source: 1,
        app_name: '抖音',
      },
    )
    expect(m).toMatchObject({
      sourceLeadId: '7123456789',
      campaignExternalId: 'p-1',
      spam: false,
      fields: { name: '王五', phone: '13900001234', region: '安徽 合肥', message: '预算: 10万' },
      utm: { source: '抖音', campaign: '春季投放' },
    })
  })

  it('treats an ad-preview clue as spam', () => {
    expect(mapPushedLead('oceanengine', {}, { clue_id: '1', clue_source: 4 }).spam).toBe(true)
  })

  it('maps a 腾讯广告 lead clue', () => {
    const m = mapPushedLead(
      'tencent_ads',
      {},
      {
        leads_id: 'L1',
        leads_name: '钱八',
        leads_telephone: '13700001111',
        leads_area: '广东 深圳',
        campaign_id: 42,
      },
    )
    expect(m).toMatchObject({
      sourceLeadId: 'L1',
      campaignExternalId: '42',
      fields: { name: '钱八', region: '广东 深圳' },
    })
  })

  it('reads generic JSON by the channel mapping, defaulting to the field names', () => {
    const m = mapPushedLead(
      'generic',
      { phone: 'contact.mobile', sourceLeadId: 'id' },
      {
        id: 'x1',
        name: '甲',
        contact: { mobile: '13600000000' },
        utm_campaign: 'spring',
      },
    )
    expect(m).toMatchObject({
      sourceLeadId: 'x1',
      fields: { name: '甲', phone: '13600000000' },
      utm: { campaign: 'spring' },
    })
    expect(m.sourceField.phone).toBe('contact.mobile')
  })
})
