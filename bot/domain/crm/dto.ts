import type { CustomerRow } from './access'
import { regionLabel } from './regions'

export interface UserLabel {
  id: string
  name: string
  department: string | null
}

export interface CustomerDto {
  id: string
  name: string
  shortName: string | null
  creditCode: string | null
  phone: string | null
  industry: string | null
  scale: string | null
  tier: string | null
  tags: string[]
  provinceCode: string | null
  cityCode: string | null
  districtCode: string | null
  region: string
  address: string | null
  lat: number | null
  lng: number | null
  source: string | null
  customFields: Record<string, unknown>
  owner: UserLabel | null
  inPool: boolean
  lastFollowedUpAt: string | null
  reclaimDueAt: string | null
  version: number
  createdAt: string
  updatedAt: string
}

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null)

export function toCustomerDto(
  row: CustomerRow,
  labels: Map<string, { name: string; department: string | null }>,
): CustomerDto {
  const owner = row.ownerId ? labels.get(row.ownerId) : undefined
  return {
    id: row.id,
    name: row.name,
    shortName: row.shortName,
    creditCode: row.creditCode,
    phone: row.phone,
    industry: row.industry,
    scale: row.scale,
    tier: row.tier,
    tags: row.tags,
    provinceCode: row.provinceCode,
    cityCode: row.cityCode,
    districtCode: row.districtCode,
    region: regionLabel(row),
    address: row.address,
    lat: row.lat === null ? null : Number(row.lat),
    lng: row.lng === null ? null : Number(row.lng),
    source: row.source,
    customFields: row.customFields,
    owner: row.ownerId
      ? { id: row.ownerId, name: owner?.name ?? '', department: owner?.department ?? null }
      : null,
    inPool: row.ownerId === null,
    lastFollowedUpAt: iso(row.lastFollowedUpAt),
    reclaimDueAt: iso(row.reclaimDueAt),
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }
}

/** Postgres unique violation (postgres.js and PGlite, raw or wrapped by drizzle). */
export function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err, i = 0; e && i < 4; i++) {
    if (typeof e === 'object' && e !== null && 'code' in e && (e as { code: unknown }).code === '23505')
      return true
    e = typeof e === 'object' && e !== null && 'cause' in e ? (e as { cause: unknown }).cause : null
  }
  return false
}
