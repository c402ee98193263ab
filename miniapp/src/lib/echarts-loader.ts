/**
 * The one dynamic import of ECharts (`./echarts`, a lazy chunk of its own). The 报表 page asks for it as soon
 * as its code runs, so the ~180 KB chunk downloads while the report's data is being fetched instead of after
 * it; the chart component awaits the same promise.
 */
let loading: Promise<typeof import('./echarts')> | undefined

export function loadEcharts(): Promise<typeof import('./echarts')> {
  loading ??= import('./echarts')
  // A failed download may be retried on the next call (a flaky network, not a broken build).
  loading.catch(() => {
    loading = undefined
  })
  return loading
}
