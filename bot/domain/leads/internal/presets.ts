import type { IntakePreset, UtmValues } from '../../../../db/schema'
import type { IntakeFields } from './intake-lead'

/** A pushed lead after field mapping: our fields, the source's lead id, what names its campaign. */
export interface MappedLead {
  fields: Partial<IntakeFields>
  sourceLeadId: string | null
  campaignExternalId: string | null
  utm: UtmValues
  /** The platform marks it as a test or abnormal submission: discarded and counted as spam. */
  spam: boolean
  /** Source field name of each of our fields, so an error names the field the sender knows. */
  sourceField: Record<string, string>
}

const str = (v: unknown): string | null => {
  if (typeof v === 'string') return v.trim() || null
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  return null
}

/** Reads a dotted path (`contact.mobile`, `answers.0.value`) from a JSON value. */
export function pick(obj: unknown, path: string): unknown {
  let cur: unknown = obj
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Record<string, unknown>)[part]
  }
  return cur
}

const joinText = (...parts: Array<string | null>): string | null => parts.filter(Boolean).join('；') || null

function remarkDict(v: unknown): string | null {
  if (!v || typeof v !== 'object') return str(v)
  return (
    Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${k}: ${str(x) ?? JSON.stringify(x)}`)
      .join('；') || null
  )
}

/**
 * 巨量引擎 / 飞鱼 clue push (the `tools/clue/get` record shape): clue_id, name, telephone, email,
 * province/city, promotion_id or ad_id, remark / remark_dict (form answers), clue_source (3 abnormal
 * submission and 4 ad preview are not real people).
 */
function oceanengine(b: Record<string, unknown>): MappedLead {
  const source = str(b.clue_source)
  return {
    fields: {
      name: str(b.name) ?? undefined,
      phone: str(b.telephone),
      email: str(b.email),
      region: joinText(str(b.province_name), str(b.city_name))?.replace('；', ' ') ?? null,
      productInterest: str(b.module_name) ?? str(b.site_name),
      message: joinText(str(b.remark), str(b.form_remark), remarkDict(b.remark_dict)),
    },
    sourceLeadId: str(b.clue_id),
    campaignExternalId: str(b.promotion_id) ?? str(b.ad_id),
    utm: {
      source: str(b.app_name) ?? 'oceanengine',
      medium: 'feed',
      ...((str(b.promotion_name) ?? str(b.ad_name))
        ? { campaign: (str(b.promotion_name) ?? str(b.ad_name)) as string }
        : {}),
    },
    spam: source === '3' || source === '4',
    sourceField: {
      name: 'name',
      phone: 'telephone',
      email: 'email',
      region: 'province_name',
      message: 'remark',
    },
  }
}

/** 腾讯广告 lead push (the `lead_clues/get` record shape): leads_id, leads_name, leads_telephone, … */
function tencentAds(b: Record<string, unknown>): MappedLead {
  return {
    fields: {
      name: str(b.leads_name) ?? undefined,
      phone: str(b.leads_telephone),
      email: str(b.leads_email),
      region: str(b.leads_area) ?? str(b.telephone_location),
      productInterest: str(b.page_name),
      message: joinText(str(b.leads_follow_tag), str(b.address)),
    },
    sourceLeadId: str(b.leads_id),
    campaignExternalId: str(b.campaign_id) ?? str(b.adgroup_id),
    utm: {
      source: 'tencent_ads',
      medium: str(b.leads_source) ?? 'ad',
      ...(str(b.campaign_name) ? { campaign: str(b.campaign_name) as string } : {}),
    },
    spam: false,
    sourceField: { name: 'leads_name', phone: 'leads_telephone', email: 'leads_email', region: 'leads_area' },
  }
}

const GENERIC_FIELDS = ['name', 'company', 'phone', 'email', 'region', 'productInterest', 'message'] as const

/**
 * Generic JSON: each of our fields read from the path the channel's mapping names (default: the field's
 * own name), plus `sourceLeadId`, `campaign` (external id) and `utm_*`.
 */
function generic(b: Record<string, unknown>, mapping: Record<string, string>): MappedLead {
  const path = (k: string) => mapping[k] ?? k
  const fields: Partial<IntakeFields> = {}
  const sourceField: Record<string, string> = {}
  for (const k of GENERIC_FIELDS) {
    const v = str(pick(b, path(k)))
    sourceField[k] = path(k)
    if (v !== null) fields[k] = v
  }
  const utm: UtmValues = {}
  for (const k of ['source', 'medium', 'campaign', 'content', 'term'] as const) {
    const v = str(pick(b, path(`utm_${k}`)))
    if (v) utm[k] = v
  }
  return {
    fields,
    sourceLeadId: str(pick(b, path('sourceLeadId'))),
    campaignExternalId: str(pick(b, path('campaign'))),
    utm,
    spam: false,
    sourceField,
  }
}

export function mapPushedLead(
  preset: IntakePreset,
  mapping: Record<string, string>,
  body: Record<string, unknown>,
): MappedLead {
  if (preset === 'oceanengine') return oceanengine(body)
  if (preset === 'tencent_ads') return tencentAds(body)
  return generic(body, mapping)
}
