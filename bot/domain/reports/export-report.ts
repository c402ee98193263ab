import { recordAudit } from '../audit/record-audit'
import type { ServiceContext } from '../context'
import { runReport } from './run-report'
import type { ReportQueryInput } from './schemas'

/** exceljs is loaded on first use (it costs ~250 ms at start; only exports need it). */
const loadExcel = async () => (await import('exceljs')).default

/**
 * A report as an XLSX workbook: the same rows and totals the API returns, numbers as numbers (money in
 * yuan with two decimals), titled with the filters. Every export is written to the audit log.
 */
export async function exportReport({
  ctx,
  key,
  input,
}: {
  ctx: ServiceContext
  key: string
  input: ReportQueryInput
}): Promise<{ fileName: string; contentType: string; data: Uint8Array }> {
  const result = await runReport({ ctx, key, input })
  const ExcelJS = await loadExcel()
  const wb = new ExcelJS.Workbook()
  const ws = wb.addWorksheet(result.title.slice(0, 31))
  ws.addRow([`${result.title} ${result.query.from} ~ ${result.query.to}`])
  ws.addRow([result.dimension.label, ...result.columns.map((c) => c.label)])
  const cell = (unit: string, v: number | null) => (v === null ? null : unit === 'cents' ? v / 100 : v)
  for (const r of result.rows)
    ws.addRow([r.label, ...result.columns.map((c) => cell(c.unit, r.values[c.key] ?? null))])
  ws.addRow([
    ctxLocaleTotal(result.title),
    ...result.columns.map((c) => cell(c.unit, result.totals[c.key] ?? null)),
  ])
  result.columns.forEach((c, i) => {
    if (c.unit === 'cents') ws.getColumn(i + 2).numFmt = '#,##0.00'
  })
  const data = new Uint8Array((await wb.xlsx.writeBuffer()) as ArrayBuffer)
  await recordAudit(ctx, {
    action: 'report.export',
    targetType: 'report',
    targetId: key,
    meta: { ...result.query, dimension: result.dimension.key, rows: result.rows.length },
  })
  return {
    fileName: `${key}-${result.query.from}-${result.query.to}.xlsx`,
    contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    data,
  }
}

/** The total row's label: Chinese titles get 合计, English ones Total. */
const ctxLocaleTotal = (title: string): string => (/[\u4e00-\u9fff]/.test(title) ? '合计' : 'Total')
