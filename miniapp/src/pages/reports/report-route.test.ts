import { afterEach, describe, expect, it } from 'vitest'
import { createApiClient, installApiClient } from '@/api/index'
import { periodOf } from '@/lib/report-period'
import { fakeFetch, jsonResponse } from '@/testing/http'
import { prefetchReport, reportQueryOf, reportRouteState, takePrefetchedReport } from './report-route'

function install(answer: unknown) {
  const http = fakeFetch(() => jsonResponse(200, answer))
  installApiClient(
    createApiClient({ fetch: http.fetch, getToken: () => 'tok', getLocale: () => 'zh-CN', onUnauthorized: async () => false }),
  )
  return http
}

describe('the 报表 page route', () => {
  afterEach(() => {
    takePrefetchedReport('', { from: '', to: '' })
    installApiClient(null)
  })

  it('reads the report, period and grouping from the URL, with defaults for missing or unknown ones', () => {
    expect(reportRouteState({})).toEqual({ key: 'customers-new', preset: 'thisMonth', dimension: undefined, provinceCode: undefined })
    expect(reportRouteState({ r: 'activity', p: 'thisYear', d: 'person', pc: '31' })).toEqual({
      key: 'activity',
      preset: 'thisYear',
      dimension: 'person',
      provinceCode: '31',
    })
    expect(reportRouteState({ r: '', p: 'forever' })).toMatchObject({ key: 'customers-new', preset: 'thisMonth' })
  })

  it('hands the prefetched report to the page once, for the same report and query only', async () => {
    const figures = { key: 'activity', rows: [] }
    const http = install(figures)
    prefetchReport({ r: 'activity', p: 'lastMonth', d: 'person' })
    const q = reportQueryOf({ preset: 'lastMonth', dimension: 'person' })
    expect(q).toEqual({ ...periodOf('lastMonth'), dimension: 'person' })
    expect(takePrefetchedReport('activity', { ...q, dimension: 'month' })).toBeUndefined()

    prefetchReport({ r: 'activity', p: 'lastMonth', d: 'person' })
    const taken = takePrefetchedReport('activity', q)
    await expect(taken).resolves.toEqual(figures)
    expect(takePrefetchedReport('activity', q)).toBeUndefined()
    expect(http.calls.map((c) => new URL(c.url).pathname)).toEqual(['/api/v1/reports/activity', '/api/v1/reports/activity'])
    expect(new URL(http.calls[1]?.url ?? '').searchParams.get('dimension')).toBe('person')
  })
})
