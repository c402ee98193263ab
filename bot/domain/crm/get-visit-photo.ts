import { and, eq } from 'drizzle-orm'
import { visits } from '../../../db/schema'
import type { BlobStorage, BlobStream } from '../../lib/storage/types'
import type { ServiceContext } from '../context'
import { NotFoundError } from '../errors'
import { loadCrmAccess, requireCustomer } from './access'

/**
 * A photo of a visit as a stream, for anyone who may read the visit's customer (as the visit list does);
 * 404 for a visit outside the caller's scope, an unknown photo name or an object missing from the store.
 */
export async function getVisitPhoto({
  ctx,
  storage,
  visitId,
  name,
}: {
  ctx: ServiceContext
  storage: BlobStorage
  visitId: string
  name: string
}): Promise<BlobStream & { name: string }> {
  const [v] = await ctx.db
    .select({ customerId: visits.customerId, photos: visits.photos })
    .from(visits)
    .where(and(eq(visits.tenantId, ctx.tenantId), eq(visits.id, visitId)))
  if (!v) throw new NotFoundError('visit', visitId)
  await requireCustomer(ctx, await loadCrmAccess(ctx), v.customerId)
  const photo = v.photos.find((p) => p.key.split('/').pop() === name)
  if (!photo) throw new NotFoundError('photo', name)
  const blob = await storage.getStream(photo.key)
  if (!blob) throw new NotFoundError('photo', name)
  return { ...blob, name: photo.name }
}
