/**
 * PostgreSQL refuses the NUL character in text, and a lone UTF-16 surrogate cannot be encoded as UTF-8 (the
 * driver would silently store U+FFFD instead). Either one in any string a client sends is refused up front,
 * naming the field, so it never reaches the database as a 500 or as silently changed data.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the NUL character is what this looks for
const UNSAFE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Why a string is refused, or null when it is fine. */
export function unsafeStringReason(s: string): string | null {
  const m = UNSAFE.exec(s)
  if (!m) return null
  return m[0] === '\u0000' ? 'must not contain the NUL character' : 'must not contain a lone UTF-16 surrogate'
}

/**
 * Walks a validated value (params, query, JSON body) and returns the first string, key included, that
 * PostgreSQL or UTF-8 cannot hold, with its dotted path.
 */
export function findUnsafeString(
  value: unknown,
  path: string[] = [],
  depth = 0,
): { field: string; reason: string } | null {
  if (typeof value === 'string') {
    const reason = unsafeStringReason(value)
    return reason ? { field: path.join('.'), reason } : null
  }
  if (depth > 64 || value === null || typeof value !== 'object') return null
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findUnsafeString(value[i], [...path, String(i)], depth + 1)
      if (hit) return hit
    }
    return null
  }
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const keyReason = unsafeStringReason(key)
    if (keyReason) return { field: [...path, key].join('.'), reason: keyReason }
    const hit = findUnsafeString(v, [...path, key], depth + 1)
    if (hit) return hit
  }
  return null
}
