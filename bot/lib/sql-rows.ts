/**
 * Rows of a raw `db.execute()` result (postgres.js: an array; PGlite: `{ rows }`). Kept apart from
 * db/client so the domain does not pull in the Node database drivers.
 */
export function resultRows<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[]
  if (result && typeof result === 'object' && 'rows' in result && Array.isArray(result.rows))
    return result.rows as T[]
  return []
}
