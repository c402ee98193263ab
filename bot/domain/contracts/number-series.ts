import { type SQL, sql } from 'drizzle-orm'
import { numberSeries } from '../../../db/schema'
import type { ServiceContext } from '../context'

/**
 * The next number of a per-tenant series, gap-free within committed transactions (the counter row is
 * updated in the caller's transaction): `HT-2026-0001` for contracts (China-time year).
 */
export async function nextNumber(ctx: ServiceContext, prefix: string): Promise<string> {
  const year = new Date(ctx.clock.now().getTime() + 8 * 3600_000).getUTCFullYear()
  const key = `${prefix}-${year}`
  const [row] = await ctx.db
    .insert(numberSeries)
    .values({ tenantId: ctx.tenantId, key, lastValue: 1 })
    .onConflictDoUpdate({
      target: [numberSeries.tenantId, numberSeries.key],
      set: { lastValue: sql`${numberSeries.lastValue} + 1` },
    })
    .returning({ value: numberSeries.lastValue })
  return `${key}-${String(row?.value ?? 1).padStart(4, '0')}`
}

/**
 * `n` consecutive numbers of a series in one statement (a batch of tickets takes the counter row once):
 * the same numbers, in order, as `n` calls of {@link nextNumber}.
 */
export async function nextNumbers(ctx: ServiceContext, prefix: string, n: number): Promise<string[]> {
  return (await drawNumbers(ctx, prefix, n)).numbers
}

/**
 * {@link nextNumbers} with the series' key: a caller that draws before it knows how many it needs hands the
 * unused tail back in the same transaction ({@link giveBackNumbersSql}), so the series stays gap-free.
 */
export async function drawNumbers(
  ctx: ServiceContext,
  prefix: string,
  n: number,
): Promise<{ key: string; numbers: string[] }> {
  const year = new Date(ctx.clock.now().getTime() + 8 * 3600_000).getUTCFullYear()
  const key = `${prefix}-${year}`
  if (n <= 0) return { key, numbers: [] }
  const [row] = await ctx.db
    .insert(numberSeries)
    .values({ tenantId: ctx.tenantId, key, lastValue: n })
    .onConflictDoUpdate({
      target: [numberSeries.tenantId, numberSeries.key],
      set: { lastValue: sql`${numberSeries.lastValue} + ${n}` },
    })
    .returning({ value: numberSeries.lastValue })
  const last = row?.value ?? n
  return {
    key,
    numbers: Array.from({ length: n }, (_, i) => `${key}-${String(last - n + 1 + i).padStart(4, '0')}`),
  }
}

/**
 * A statement (or CTE body) handing the last `n` numbers drawn from `key` back, for the transaction that
 * drew them and still holds the series row (no-op for 0; the text is the same whatever `n`).
 */
export function giveBackNumbersSql(ctx: ServiceContext, key: string, n: number): SQL {
  return sql`update sales_number_series set last_value = last_value - ${n}::int
    where tenant_id = ${ctx.tenantId} and key = ${key} and ${n}::int > 0`
}
