import type { ServiceContext } from '../context'
import { InvalidInputError } from '../errors'
import type { RecordRef } from './internal/define'
import { prepareRun } from './internal/prepare'
import { drillQuery } from './schemas'

/**
 * The records behind one figure of a report, with the same filters and scope as the figure: `value` picks
 * the row (`''` = the "not set" row; absent = the total), `measure` the column.
 */
export async function drillReport({
  ctx,
  key,
  input,
}: {
  ctx: ServiceContext
  key: string
  input: Record<string, unknown>
}): Promise<{ items: RecordRef[] }> {
  const q = drillQuery.parse(input)
  const { report, env } = await prepareRun(ctx, key, q)
  if (q.measure && !report.measures.some((m) => m.key === q.measure))
    throw new InvalidInputError('measure', `report ${key} has no measure ${q.measure}`)
  const value = q.value === undefined ? undefined : q.value === '' ? null : q.value
  return { items: await report.records(ctx, env, { value, measure: q.measure, limit: q.limit }) }
}
