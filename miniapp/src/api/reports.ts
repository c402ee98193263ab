import { downloadFile } from './download'
import type { paths } from './schema'
import { api, type Schemas, unwrap } from './typed'

export type ReportSummary = Schemas['ReportSummary']
export type ReportResult = Schemas['ReportResult']
export type ReportRecord = Schemas['ReportRecord']
export type ReportQuery = NonNullable<paths['/api/v1/reports/{key}']['get']['parameters']['query']>

export function listReports(signal?: AbortSignal) {
  return unwrap(api().GET('/api/v1/reports', { signal }))
}

export function runReport(key: string, query: ReportQuery, signal?: AbortSignal) {
  return unwrap(api().GET('/api/v1/reports/{key}', { params: { path: { key }, query }, signal }))
}

/** The records behind one figure: `value` is the row's key (`''` for "not set"), absent for the total. */
export function drillReport(
  key: string,
  query: ReportQuery & { value?: string; measure?: string },
  signal?: AbortSignal,
) {
  return unwrap(api().GET('/api/v1/reports/{key}/records', { params: { path: { key }, query }, signal }))
}

/** Downloads the report as XLSX (with the session's token) and hands it to the browser. */
export async function downloadReport(key: string, query: ReportQuery): Promise<void> {
  const qs = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]))
  await downloadFile(`/api/v1/reports/${key}/export?${qs}`, `${key}-${query.from}-${query.to}.xlsx`)
}
