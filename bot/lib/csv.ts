/**
 * One CSV cell for every CSV flowcard writes: always quoted, quotes doubled, and text that a spreadsheet would
 * run as a formula (`= + - @`, tab or carriage return first, also after leading spaces) prefixed with `'`, so
 * a customer named `=HYPERLINK(…)` opens in Excel or WPS as text (CSV injection).
 */
export const csvCell = (v: string): string => {
  const safe = /^[\s]*[=+\-@\t\r]/.test(v) ? `'${v}` : v
  return `"${safe.replace(/"/g, '""')}"`
}

/** Rows to CSV text (CRLF line ends, no BOM). */
export const csvLines = (rows: string[][]): string => rows.map((r) => r.map(csvCell).join(',')).join('\r\n')
