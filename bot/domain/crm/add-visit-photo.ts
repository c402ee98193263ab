import { eq } from 'drizzle-orm'
import { visits } from '../../../db/schema'
import { newId } from '../../lib/ids'
import type { BlobStorage } from '../../lib/storage/types'
import { type ServiceContext, withTransaction } from '../context'
import { DomainError, InvalidInputError, InvalidTransitionError } from '../errors'
import { requireOwnVisit } from './check-out-visit'
import { toVisitDto, type VisitDto } from './visits'

const TYPES: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/heic': 'heic',
}
export const MAX_PHOTO_BYTES = 10 * 1024 * 1024
const MAX_PHOTOS = 9

/** Stores a photo of the caller's visit through the storage port and adds its reference to the visit. */
export async function addVisitPhoto({
  ctx,
  storage,
  visitId,
  file,
}: {
  ctx: ServiceContext
  storage: BlobStorage
  visitId: string
  file: { name: string; contentType: string; data: Uint8Array }
}): Promise<VisitDto> {
  const ext = TYPES[file.contentType]
  if (!ext) throw new InvalidInputError('file', 'photos must be JPEG, PNG, WebP or HEIC')
  if (file.data.byteLength === 0 || file.data.byteLength > MAX_PHOTO_BYTES)
    throw new InvalidInputError('file', 'photo must be 1 byte to 10 MB')
  let storedKey: string | null = null
  return withTransaction(ctx, async (_tx, txCtx) => {
    const v = await requireOwnVisit(txCtx, visitId)
    if (v.status === 'cancelled') throw new InvalidTransitionError('visit is cancelled')
    if (v.photos.length >= MAX_PHOTOS)
      throw new InvalidInputError('file', `at most ${MAX_PHOTOS} photos per visit`)
    const key = `${txCtx.tenantId}/visits/${v.id}/${newId('pho')}.${ext}`
    try {
      await storage.put(key, file.data, file.contentType)
      storedKey = key
    } catch (err) {
      txCtx.logger.error({ err, storage: storage.kind, key }, 'photo upload to storage failed')
      throw new DomainError('unavailable', 'photo storage is unavailable, try again later')
    }
    const photos = [
      ...v.photos,
      { key, name: file.name.slice(0, 200), contentType: file.contentType, size: file.data.byteLength },
    ]
    const [row] = await txCtx.db
      .update(visits)
      .set({ photos, updatedAt: txCtx.clock.now() })
      .where(eq(visits.id, v.id))
      .returning()
    if (!row) throw new Error('update returned nothing')
    return toVisitDto(row)
  }).catch(async (err: unknown) => {
    // The row did not take the photo: drop the object so the store keeps no orphan.
    if (storedKey) await storage.delete(storedKey).catch(() => undefined)
    throw err
  })
}
