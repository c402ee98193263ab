import JSZip from 'jszip'
import { describe, expect, it } from 'vitest'
import { parseXlsx, toXlsx } from '../spreadsheet'
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

  it('refuses something that is not a zip', () => {
    expect(() => checkZipArchive(new TextEncoder().encode('not a zip at all, just text'))).toThrow(
      /no zip directory/,
    )
  })
})
