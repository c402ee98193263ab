import JSZip from 'jszip'
import { describe, expect, it } from 'vitest'
import { lyingBomb } from '../../../../tests/helpers/xlsx-bomb'
import { parseXlsx, toXlsx } from '../spreadsheet'
import { readXlsx } from './xlsx-reader'
import { checkZipArchive, ZIP_LIMITS } from './zip-guard'

const zipOf = async (files: Record<string, string | Uint8Array>) => {
  const zip = new JSZip()
  for (const [name, content] of Object.entries(files)) zip.file(name, content)
  return zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE', compressionOptions: { level: 9 } })
}

describe('the XLSX zip check', () => {
  it('passes a real workbook', async () => {
    const xlsx = await toXlsx('客户', ['客户名称'], [['中国银行'], ['招商银行']])
    expect(checkZipArchive(xlsx).entries).toBeGreaterThan(3)
    expect((await parseXlsx(xlsx)).rows).toHaveLength(2)
  })

  it('refuses a highly compressed part before inflating it', async () => {
    const bomb = await zipOf({ 'xl/worksheets/sheet1.xml': '<row/>'.repeat(2_000_000) })
    expect(bomb.byteLength).toBeLessThan(200_000)
    expect(() => checkZipArchive(bomb)).toThrow(/compression ratio/)
    await expect(parseXlsx(bomb)).rejects.toThrow(/compression ratio/)
  })

  it('refuses too much uncompressed data and too many parts', async () => {
    const big = await zipOf({ a: new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 2654435761) >>> 24) })
    expect(() => checkZipArchive(big, { ...ZIP_LIMITS, maxUncompressedBytes: 2 * 1024 * 1024 })).toThrow(
      /2 MB uncompressed/,
    )
    const many = await zipOf(Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`p${i}.xml`, 'x'])))
    expect(() => checkZipArchive(many)).toThrow(/more than 100 parts/)
  })

  it('counts what really inflates: a directory that lies about sizes is refused while reading', async () => {
    const bomb = await lyingBomb()
    expect(checkZipArchive(bomb).entries).toBeGreaterThan(3)
    await expect(parseXlsx(bomb)).rejects.toThrow(/compression ratio above 100:1/)
  })

  it('reads cells as exceljs shows them, stops at maxRows and says it did', async () => {
    const rows = [
      ['A & B <公司>', '13800138000', '', 'tail'],
      ['第二行', '3.5', 'x'],
      ...Array.from({ length: 40 }, (_, i) => [`客户${i}`]),
    ]
    const xlsx = await toXlsx('客户', ['客户名称', '电话', '空', '尾'], rows)
    const ExcelJS = (await import('exceljs')).default
    const wb = new ExcelJS.Workbook()
    await wb.xlsx.load(xlsx as unknown as ArrayBuffer)
    const viaExceljs: string[][] = []
    wb.worksheets[0]?.eachRow({ includeEmpty: false }, (row) => {
      const cells: string[] = []
      for (let c = 1; c <= row.cellCount; c++) cells.push(row.getCell(c).text ?? '')
      viaExceljs.push(cells)
    })
    const all = await parseXlsx(xlsx)
    expect([all.headers, ...all.rows]).toEqual(viaExceljs)
    expect(all.truncated).toBeUndefined()
    const some = await readXlsx(xlsx, { maxRows: 10 })
    expect(some.rows).toHaveLength(10)
    expect(some.truncated).toBe(true)
    expect(some.rows[0]).toEqual(['A & B <公司>', '13800138000', '', 'tail'])
  })

  it('refuses something that is not a zip', () => {
    expect(() => checkZipArchive(new TextEncoder().encode('not a zip at all, just text'))).toThrow(
      /no zip directory/,
    )
  })
})
