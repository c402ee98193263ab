import type { Geocoder, GeoMatch } from '../../../bot/lib/geocoder'

/**
 * A geocoder double over a small gazetteer of real places, behaving like a map service's adapter: an
 * address is matched by its landmark part (the longest known place the text contains), the city narrows the
 * search, an unknown address is `null`, and `failing` makes every call throw as a service outage does.
 * Reverse lookup answers the nearest known place within 300 m. Calls are recorded for assertions.
 */
export interface FakeGeocoder extends Geocoder {
  calls: Array<{ kind: 'geocode' | 'reverse'; query: string }>
  failing: boolean
}

export const GAZETTEER: Array<GeoMatch & { key: string; city: string }> = [
  {
    key: '世纪大道100号',
    city: '上海',
    address: '上海市浦东新区世纪大道100号',
    lat: 31.234567,
    lng: 121.507654,
    districtCode: '310115',
  },
  {
    key: '中关村大街1号',
    city: '北京',
    address: '北京市海淀区中关村大街1号',
    lat: 39.983424,
    lng: 116.314962,
    districtCode: '110108',
  },
  {
    key: '深南大道6008号',
    city: '深圳',
    address: '广东省深圳市福田区深南大道6008号',
    lat: 22.540503,
    lng: 114.064621,
    districtCode: '440304',
  },
]

const metres = (a: { lat: number; lng: number }, b: { lat: number; lng: number }): number => {
  const rad = Math.PI / 180
  const h =
    Math.sin(((b.lat - a.lat) * rad) / 2) ** 2 +
    Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(((b.lng - a.lng) * rad) / 2) ** 2
  return 2 * 6_371_008.8 * Math.asin(Math.min(1, Math.sqrt(h)))
}

/** A city given as a name (上海) or a GB/T 2260 code (310100, 440000). */
const inCity = (p: (typeof GAZETTEER)[number], city: string | null | undefined): boolean => {
  if (!city) return true
  if (/^\d{6}$/.test(city)) return p.districtCode?.startsWith(city.replace(/(00)+$/, '')) ?? false
  return city.includes(p.city)
}

export function fakeGeocoder(): FakeGeocoder {
  const self: FakeGeocoder = {
    calls: [],
    failing: false,
    async geocode(address, options) {
      self.calls.push({ kind: 'geocode', query: address })
      if (self.failing) throw new Error('geocoder: 503 Service Unavailable')
      const hits = GAZETTEER.filter(
        (p) => address.replace(/\s+/g, '').includes(p.key) && inCity(p, options?.city),
      )
      const best = hits.sort((a, b) => b.key.length - a.key.length)[0]
      return best
        ? { lat: best.lat, lng: best.lng, address: best.address, districtCode: best.districtCode }
        : null
    },
    async reverse(point) {
      self.calls.push({ kind: 'reverse', query: `${point.lat},${point.lng}` })
      if (self.failing) throw new Error('geocoder: 503 Service Unavailable')
      const near = GAZETTEER.map((p) => ({ p, d: metres(p, point) })).sort((a, b) => a.d - b.d)[0]
      return near && near.d <= 300 ? near.p.address : null
    },
  }
  return self
}
