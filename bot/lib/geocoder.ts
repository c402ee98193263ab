/**
 * The geocoder port: an address to a point (and back), for a customer's location and a check-in's address.
 * No provider is built in — a deployment that has a map service (高德, 腾讯位置服务, 百度) passes an adapter in
 * `AppDeps.geocoder`; without one the mini-app offers "use my current location" only and visits show the
 * point. Adapters answer `null` when the address is not found and throw when the service fails.
 */
export interface GeoMatch {
  lat: number
  lng: number
  /** The service's formatted address, e.g. 上海市浦东新区世纪大道100号. */
  address: string
  /** GB/T 2260 district code of the match when the service gives one (高德's adcode). */
  districtCode: string | null
}

export interface Geocoder {
  /** The best match for an address; `city` narrows the search (a name or GB/T 2260 code). */
  geocode(address: string, options?: { city?: string | null; signal?: AbortSignal }): Promise<GeoMatch | null>
  /** The address at a point, or null when the service has none. */
  reverse(point: { lat: number; lng: number }, options?: { signal?: AbortSignal }): Promise<string | null>
}
