/** Import/export columns: canonical key, Chinese header, English header. Either header is accepted. */
export const CUSTOMER_COLUMNS = [
  ['name', '客户名称', 'name'],
  ['shortName', '简称', 'short_name'],
  ['creditCode', '统一社会信用代码', 'credit_code'],
  ['phone', '电话', 'phone'],
  ['industry', '行业', 'industry'],
  ['scale', '规模', 'scale'],
  ['tier', '级别', 'tier'],
  ['tags', '标签', 'tags'],
  ['provinceCode', '省份代码', 'province_code'],
  ['cityCode', '城市代码', 'city_code'],
  ['districtCode', '区县代码', 'district_code'],
  ['address', '地址', 'address'],
  ['lat', '纬度', 'lat'],
  ['lng', '经度', 'lng'],
  ['source', '来源', 'source'],
  ['owner', '负责人', 'owner'],
] as const

export const CONTACT_COLUMNS = [
  ['customer', '客户名称', 'customer'],
  ['name', '姓名', 'name'],
  ['title', '职务', 'title'],
  ['phone', '电话', 'phone'],
  ['email', '邮箱', 'email'],
  ['decisionRole', '决策角色', 'decision_role'],
  ['isPrimary', '主要联系人', 'is_primary'],
] as const

/** Maps header cells to canonical keys; returns column index per key. */
export function mapHeaders(
  headers: string[],
  columns: ReadonlyArray<readonly [string, string, string]>,
): Map<string, number> {
  const map = new Map<string, number>()
  headers.forEach((h, i) => {
    const norm = h.trim().toLowerCase()
    const col = columns.find(([key, zh, en]) => norm === zh || norm === en || norm === key.toLowerCase())
    if (col && !map.has(col[0])) map.set(col[0], i)
  })
  return map
}

/** Lead import columns (`entity=leads`): a row per person; the channel by name or code, the campaign by name. */
export const LEAD_COLUMNS = [
  ['name', '姓名', 'name'],
  ['company', '公司', 'company'],
  ['phone', '电话', 'phone'],
  ['email', '邮箱', 'email'],
  ['region', '地区', 'region'],
  ['productInterest', '意向产品', 'product_interest'],
  ['message', '需求', 'message'],
  ['channel', '渠道', 'channel'],
  ['campaign', '活动', 'campaign'],
  ['sourceLeadId', '来源线索ID', 'source_lead_id'],
] as const
