import { newId } from '../../lib/ids'
import type { BlobStorage } from '../../lib/storage/types'
import { DomainError, InvalidInputError } from '../errors'

export const MAX_TICKET_PHOTO_BYTES = 5 * 1024 * 1024
export const MAX_PUBLIC_PHOTOS = 3

const ascii = (b: Uint8Array, from: number, to: number) => String.fromCharCode(...b.subarray(from, to))

/** The image type by the bytes themselves (never the declared type or the name); null = not an image. */
export function sniffImage(b: Uint8Array): { contentType: string; ext: string } | null {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff)
    return { contentType: 'image/jpeg', ext: 'jpg' }
  if (b.length >= 8 && b[0] === 0x89 && ascii(b, 1, 4) === 'PNG')
    return { contentType: 'image/png', ext: 'png' }
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP')
    return { contentType: 'image/webp', ext: 'webp' }
  if (
    b.length >= 12 &&
    ascii(b, 4, 8) === 'ftyp' &&
    ['heic', 'heix', 'mif1', 'msf1'].includes(ascii(b, 8, 12))
  )
    return { contentType: 'image/heic', ext: 'heic' }
  return null
}

/**
 * Stores ticket photos through the storage port after checking each by content and size (the field is
 * named in the error: `photos.N`). Returns the keys; on a failure the ones stored so far are removed.
 */
export async function storeTicketPhotos(
  storage: BlobStorage,
  tenantId: string,
  files: Array<{ data: Uint8Array }>,
  max = MAX_PUBLIC_PHOTOS,
): Promise<string[]> {
  if (files.length > max) throw new InvalidInputError('photos', `photos: at most ${max}`)
  const checked = files.map((f, i) => {
    if (f.data.byteLength === 0 || f.data.byteLength > MAX_TICKET_PHOTO_BYTES)
      throw new InvalidInputError(`photos.${i}`, `photos.${i}: a photo is 1 byte to 5 MB`)
    const kind = sniffImage(f.data)
    if (!kind) throw new InvalidInputError(`photos.${i}`, `photos.${i}: not a JPEG, PNG, WebP or HEIC image`)
    return { ...f, ...kind }
  })
  // All at once (outside any transaction); on a failure every key is dropped, stored or not.
  const keys = checked.map((f) => `${tenantId}/service/${newId('pho')}.${f.ext}`)
  const puts = await Promise.allSettled(
    checked.map((f, i) => storage.put(keys[i] ?? '', f.data, f.contentType)),
  )
  const failed = puts.find((p) => p.status === 'rejected')
  if (failed) {
    const err: unknown = failed.reason
    await dropPhotos(storage, keys)
    if (err instanceof DomainError) throw err
    throw new DomainError('unavailable', 'photo storage is unavailable, try again later')
  }
  return keys
}

export async function dropPhotos(storage: BlobStorage, keys: string[]): Promise<void> {
  await Promise.all(keys.map((k) => storage.delete(k).catch(() => undefined)))
}
