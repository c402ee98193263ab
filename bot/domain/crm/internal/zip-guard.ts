import { InvalidInputError } from '../../errors'

/** Limits for an uploaded XLSX (a zip of XML parts), checked from its central directory before inflating. */
export const ZIP_LIMITS = {
  /** A workbook has ~10–20 parts; hundreds is a crafted file. */
  maxEntries: 100,
  /** Sum of the parts' uncompressed sizes. */
  maxUncompressedBytes: 50 * 1024 * 1024,
  /** Uncompressed : compressed over the whole archive (sheet XML compresses ~10–30:1). */
  maxRatio: 100,
}

/**
 * Refuses a zip bomb before any part is inflated: walks the central directory and checks the number of
 * entries, the total declared uncompressed size and the compression ratio; ZIP64 archives (sizes beyond
 * 4 GB) and a directory that does not fit the file are refused outright. A spreadsheet library inflates every
 * part whole into memory, so this is what keeps one upload from exhausting the process.
 */
export function checkZipArchive(
  data: Uint8Array,
  limits = ZIP_LIMITS,
): { entries: number; uncompressed: number } {
  const bad = (why: string) => new InvalidInputError('file', `not an acceptable XLSX file: ${why}`)
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  // End of central directory: signature 0x06054b50, within the last 22 + 65535 bytes (comment).
  let eocd = -1
  for (let i = data.byteLength - 22; i >= Math.max(0, data.byteLength - 22 - 65535); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i
      break
    }
  }
  if (eocd < 0) throw bad('no zip directory')
  const count = view.getUint16(eocd + 10, true)
  const dirSize = view.getUint32(eocd + 12, true)
  const dirOffset = view.getUint32(eocd + 16, true)
  if (count === 0xffff || dirSize === 0xffffffff || dirOffset === 0xffffffff)
    throw bad('ZIP64 archives are not accepted')
  if (count > limits.maxEntries) throw bad(`more than ${limits.maxEntries} parts`)
  if (dirOffset + dirSize > eocd) throw bad('broken zip directory')
  let p = dirOffset
  let uncompressed = 0
  let compressed = 0
  for (let n = 0; n < count; n++) {
    if (p + 46 > eocd || view.getUint32(p, true) !== 0x02014b50) throw bad('broken zip directory')
    const csize = view.getUint32(p + 20, true)
    const usize = view.getUint32(p + 24, true)
    if (csize === 0xffffffff || usize === 0xffffffff) throw bad('ZIP64 archives are not accepted')
    compressed += csize
    uncompressed += usize
    if (uncompressed > limits.maxUncompressedBytes)
      throw bad(`more than ${Math.round(limits.maxUncompressedBytes / 1024 / 1024)} MB uncompressed`)
    p += 46 + view.getUint16(p + 28, true) + view.getUint16(p + 30, true) + view.getUint16(p + 32, true)
  }
  if (compressed > data.byteLength) throw bad('broken zip directory')
  if (uncompressed > limits.maxRatio * Math.max(compressed, 1) && uncompressed > 1024 * 1024)
    throw bad(`compression ratio above ${limits.maxRatio}:1`)
  return { entries: count, uncompressed }
}
