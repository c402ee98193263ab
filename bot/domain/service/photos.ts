import { and, eq, inArray } from 'drizzle-orm'
import { servicePhotos } from '../../../db/schema'
import { newId } from '../../lib/ids'
import type { BlobStorage } from '../../lib/storage/types'
import { actorId, type ServiceContext } from '../context'
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

/** Who a photo upload belongs to: the person, or the external system (`system:<id>`). */
export const photoUploader = (ctx: ServiceContext, externalSystem?: string | null): string | null =>
  externalSystem ? `system:${externalSystem}` : actorId(ctx.actor)

/**
 * One photo uploaded ahead of its ticket (checked by content and size like the public form's, `photos.0`):
 * stored, and recorded as the uploader's until a ticket takes it. Answers its key.
 */
export async function uploadTicketPhoto({
  ctx,
  storage,
  data,
  externalSystem,
}: {
  ctx: ServiceContext
  storage: BlobStorage
  data: Uint8Array
  externalSystem?: string | null
}): Promise<string> {
  const uploader = photoUploader(ctx, externalSystem)
  if (!uploader) throw new InvalidInputError('photos', 'photos: an upload needs a person or a system')
  const [key = ''] = await storeTicketPhotos(storage, ctx.tenantId, [{ data }], 1)
  try {
    await ctx.db.insert(servicePhotos).values({ tenantId: ctx.tenantId, key, uploadedBy: uploader })
  } catch (err) {
    await dropPhotos(storage, [key])
    throw err
  }
  return key
}

/**
 * Checks the photo keys of tickets about to be opened and locks them until the write: each must be a photo
 * stored for this tenant's tickets (another tenant's key, a visit's photo or a made-up key: 400 naming
 * `photos.N`), uploaded by `uploader` (this person or system), not yet on a ticket, and not named twice.
 * Keys the intake itself just stored (`fresh`) are new and skip the table. One statement for the batch.
 */
export async function claimTicketPhotos(
  ctx: ServiceContext,
  reqs: Array<{ photos: string[]; uploader: string | null; fresh: boolean }>,
): Promise<void> {
  const ownPhoto = new RegExp(`^${ctx.tenantId}/service/pho_[0-9a-z]+\\.(jpg|png|webp|heic)$`)
  const seen = new Set<string>()
  for (const r of reqs)
    for (const [i, key] of r.photos.entries()) {
      if (!ownPhoto.test(key))
        throw new InvalidInputError(`photos.${i}`, `photos.${i}: not a photo of this tenant`)
      if (seen.has(key)) throw new InvalidInputError(`photos.${i}`, `photos.${i}: named twice`)
      seen.add(key)
    }
  const claimed = reqs.filter((r) => !r.fresh && r.photos.length > 0)
  if (claimed.length === 0) return
  const rows = await ctx.db
    .select({
      key: servicePhotos.key,
      ticketId: servicePhotos.ticketId,
      uploadedBy: servicePhotos.uploadedBy,
    })
    .from(servicePhotos)
    .where(
      and(
        eq(servicePhotos.tenantId, ctx.tenantId),
        inArray(
          servicePhotos.key,
          claimed.flatMap((r) => r.photos),
        ),
      ),
    )
    .orderBy(servicePhotos.key)
    .for('update')
  const byKey = new Map(rows.map((r) => [r.key, r]))
  for (const r of claimed)
    for (const [i, key] of r.photos.entries()) {
      const row = byKey.get(key)
      if (!row) throw new InvalidInputError(`photos.${i}`, `photos.${i}: no such uploaded photo`)
      if (row.ticketId) throw new InvalidInputError(`photos.${i}`, `photos.${i}: already on another ticket`)
      if (!r.uploader || row.uploadedBy !== r.uploader)
        throw new InvalidInputError(`photos.${i}`, `photos.${i}: uploaded by someone else`)
    }
}
