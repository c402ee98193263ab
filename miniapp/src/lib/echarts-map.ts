/** The map series, its colour scale and the map of China: a lazy chunk of their own (see `echarts.ts`). */
import { MapChart } from 'echarts/charts'
import { VisualMapComponent } from 'echarts/components'
import type * as Core from 'echarts/core'

let registered = false

export async function registerChina(echarts: typeof Core): Promise<void> {
  if (registered) return
  echarts.use([MapChart, VisualMapComponent])
  const geo = (await import('@/assets/maps/china.json')).default
  echarts.registerMap('china', geo as unknown as Parameters<typeof echarts.registerMap>[1])
  registered = true
}
