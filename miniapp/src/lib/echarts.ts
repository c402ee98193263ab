/**
 * ECharts, registered piece by piece (bar, line, map; the legend for the lead trend) so the chunk carries only what the reports use. Only
 * imported dynamically: it lives in its own lazy chunk, never in the initial route.
 */
import { BarChart, LineChart, MapChart } from 'echarts/charts'
import { GridComponent, LegendComponent, TooltipComponent, VisualMapComponent } from 'echarts/components'
import * as echarts from 'echarts/core'
import { CanvasRenderer } from 'echarts/renderers'

echarts.use([
  BarChart,
  LineChart,
  MapChart,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
  CanvasRenderer,
])

let chinaRegistered = false

/** Registers the map of China (shipped in the repo, see assets/maps/README.md) once, on first use. */
export async function useChinaMap(): Promise<void> {
  if (chinaRegistered) return
  const geo = (await import('@/assets/maps/china.json')).default
  echarts.registerMap('china', geo as unknown as Parameters<typeof echarts.registerMap>[1])
  chinaRegistered = true
}

export { echarts }
