import { getApiClient } from './index'
import { downloadFile } from './download'
import type { paths } from './schema'
import type { ReportQuery } from './report-run'
import { api, type Schemas, unwrap } from './typed'

export type ReportSummary = Schemas['ReportSummary']
export type ReportRecord = Schemas['ReportRecord']
export { type ReportQuery, type ReportResult, runReport } from './report-run'

export function listReports(signal?: AbortSignal) {
  return unwrap(api().GET('/api/v1/reports', { signal }))
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

export type TargetProgress = Schemas['TargetProgress']
export type TargetRow = Schemas['SalesTarget']
export type TargetsPut = NonNullable<paths['/api/v1/reports/targets']['put']['requestBody']>['content']['application/json']

/** This month's targets beside what was done: mine, and my people's summed for managers. */
export function getTargetProgress(signal?: AbortSignal) {
  return unwrap(api().GET('/api/v1/reports/progress', { signal }))
}

export async function listTargets(query: { year: number; subjectKind?: 'user' | 'department' }, signal?: AbortSignal) {
  return (await unwrap(api().GET('/api/v1/reports/targets', { params: { query }, signal }))).items
}

export function saveTargets(body: TargetsPut) {
  return unwrap(api().PUT('/api/v1/reports/targets', { body }))
}

export interface TargetsImportResult {
  rows: number
  subjects: number
  saved: number
  dryRun: boolean
}

/** Uploads a CSV/XLSX targets sheet; `dryRun` checks it (who, months, values, permissions) without writing. */
export function importTargets(file: File, dryRun: boolean): Promise<TargetsImportResult> {
  const format = /\.xlsx$/i.test(file.name) ? 'xlsx' : 'csv'
  const qs = new URLSearchParams({ format, dryRun: String(dryRun), name: file.name })
  return getApiClient().upload<TargetsImportResult>(`/api/v1/reports/targets/import?${qs}`, file, {
    contentType: 'application/octet-stream',
  })
}

export type DigestPref = Schemas['DigestPref']
export type DigestPrefsPut = NonNullable<
  paths['/api/v1/reports/digest-prefs']['put']['requestBody']
>['content']['application/json']

/** My digest settings: the morning brief (workdays) and the weekly team digest, on/off and time. */
export async function getDigestPrefs(signal?: AbortSignal) {
  return (await unwrap(api().GET('/api/v1/reports/digest-prefs', { signal }))).items
}

/** Saves my digest settings, all or nothing; answers them all. */
export async function saveDigestPrefs(body: DigestPrefsPut) {
  return (await unwrap(api().PUT('/api/v1/reports/digest-prefs', { body }))).items
}
