import JSZip from 'jszip'
import { toXlsx } from '../../bot/domain/crm/spreadsheet'

/**
 * A real workbook whose sheet is `rows` rows of highly compressible XML (a few MB inflating from a few KB),
 * with every declared uncompressed size in the zip directory and local headers rewritten to the compressed
 * size: a directory check alone sees ratio 1:1, only counting what really inflates catches it.
 */
export async function lyingBomb(rows = 60_000): Promise<Uint8Array> {
  const zip = await JSZip.loadAsync(await toXlsx('客户', ['客户名称'], [['x']]))
  // `r` is optional in OOXML: identical rows compress about 1000:1.
  const row = (_r: number) => '<row><c t="inlineStr"><is><t>客户</t></is></c></row>'
  let xml =
    '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
  xml += `<row r="1"><c r="A1" t="inlineStr"><is><t>客户名称</t></is></c></row>`
  for (let r = 2; r <= rows; r++) xml += row(r)
  xml += '</sheetData></worksheet>'
  zip.file('xl/worksheets/sheet1.xml', xml)
  const data = await zip.generateAsync({
    type: 'uint8array',
    compression: 'DEFLATE',
    compressionOptions: { level: 9 },
  })
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  for (let p = 0; p + 46 <= data.byteLength; p++) {
    const sig = view.getUint32(p, true)
    if (sig === 0x02014b50) view.setUint32(p + 24, view.getUint32(p + 20, true), true)
    else if (sig === 0x04034b50) view.setUint32(p + 22, view.getUint32(p + 18, true), true)
  }
  return data
}
