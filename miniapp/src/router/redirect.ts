import type { LocationQueryValue } from 'vue-router'

/** Only in-app paths such as `/customers/cus_1`; never `//evil.example` or a full URL. */
export function safeRedirect(value: LocationQueryValue | LocationQueryValue[] | undefined): string {
  const first = Array.isArray(value) ? value[0] : value
  return typeof first === 'string' && first.startsWith('/') && !first.startsWith('//') ? first : '/'
}
