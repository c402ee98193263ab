import type { paths } from './schema'
import { api, type Schemas, unwrap } from './typed'

export type ReportResult = Schemas['ReportResult']
export type ReportQuery = NonNullable<paths['/api/v1/reports/{key}']['get']['parameters']['query']>

/** One report's figures. Its own module (no other report calls) so the router can start it from the entry. */
export function runReport(key: string, query: ReportQuery, signal?: AbortSignal) {
  return unwrap(api().GET('/api/v1/reports/{key}', { params: { path: { key }, query }, signal }))
}
