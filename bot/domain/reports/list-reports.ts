import type { ServiceContext } from '../context'
import { reports } from './internal/catalog'
import { say } from './internal/define'
import { actorLocale } from './internal/prepare'

export interface ReportSummary {
  key: string
  title: string
  description: string
  dimensions: Array<{ key: string; label: string }>
  timing: 'period' | 'snapshot'
}

/** Every report, in the caller's language. Every signed-in person may run them: data scope limits figures. */
export async function listReports({ ctx }: { ctx: ServiceContext }): Promise<{ items: ReportSummary[] }> {
  const locale = await actorLocale(ctx)
  return {
    items: reports.map((r) => ({
      key: r.key,
      title: say(locale, r.title),
      description: say(locale, r.description),
      dimensions: r.dimensions.map((d) => ({ key: d.key, label: say(locale, d.label) })),
      timing: r.timing,
    })),
  }
}
