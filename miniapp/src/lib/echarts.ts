/**
 * ECharts, registered piece by piece (bar, line; the legend for the lead trend) so the chunk carries only what
 * the charts use. Only imported dynamically (`echarts-loader.ts`): it lives in its own lazy chunk, never in
 * the initial route. The map series, its colour scale and the map of China are a further chunk
 * (`echarts-map.ts`), loaded by the map report alone, so every other chart downloads ~35 KB less.
 */
import { BarChart, LineChart } from 'echarts/charts'
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components'
import * as echarts from 'echarts/core'
import { CanvasRenderer } from 'echarts/renderers'

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer])

/** Registers the map series and the map of China (shipped in the repo, see assets/maps/README.md) once. */
export async function useChinaMap(): Promise<void> {
  await (await import('./echarts-map')).registerChina(echarts)
}

export { echarts }
