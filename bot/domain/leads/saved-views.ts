import { and, asc, eq } from 'drizzle-orm'
import { leadSavedViews } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { actorId, type ServiceContext } from '../context'
import { isUniqueViolation } from '../crm/dto'
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '../errors'
import { parseInput, savedViewInput } from './schemas'

/** How many views one person may keep. */
export const MAX_SAVED_VIEWS = 30

export interface SavedViewDto {
  id: string
  name: string
  filters: Record<string, string>
  createdAt: string
}

const toDto = (r: typeof leadSavedViews.$inferSelect): SavedViewDto => ({
  id: r.id,
  name: r.name,
  filters: r.filters,
  createdAt: r.createdAt.toISOString(),
})

function me(ctx: ServiceContext): string {
  const id = actorId(ctx.actor)
  if (!id) throw new ForbiddenError('saved views are per person')
  return id
}

/** My saved lead list views, oldest first (the order I made them in). */
export async function listSavedViews({ ctx }: { ctx: ServiceContext }): Promise<SavedViewDto[]> {
  const userId = me(ctx)
  const rows = await ctx.db
    .select()
    .from(leadSavedViews)
    .where(and(eq(leadSavedViews.tenantId, ctx.tenantId), eq(leadSavedViews.userId, userId)))
    .orderBy(asc(leadSavedViews.createdAt), asc(leadSavedViews.id))
  return rows.map(toDto)
}

/**
 * Saves the current list filters under a name. The filters are checked like the list query (an unknown
 * key or a bad value names the field); they are stored as the strings the list URL carries. A view only
 * filters: what it shows is still limited by the viewer's data scope when it is opened.
 */
export async function saveView({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: unknown
}): Promise<SavedViewDto> {
  const userId = me(ctx)
  const data = parseInput(savedViewInput, input)
  const filters: Record<string, string> = {}
  for (const [k, v] of Object.entries(data.filters)) if (v !== undefined && v !== '') filters[k] = String(v)
  const existing = await listSavedViews({ ctx })
  if (existing.length >= MAX_SAVED_VIEWS)
    throw new InvalidInputError('name', `at most ${MAX_SAVED_VIEWS} saved views`)
  try {
    const [row] = await ctx.db
      .insert(leadSavedViews)
      .values({
        id: newId('lsv'),
        tenantId: ctx.tenantId,
        userId,
        name: data.name,
        filters,
        createdAt: ctx.clock.now(),
      })
      .returning()
    if (!row) throw new Error('saved view insert returned nothing')
    return toDto(row)
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError('a view with this name exists', { field: 'name' })
    throw error
  }
}

/** Deletes one of my saved views; someone else's answers 404 like a missing one. */
export async function deleteSavedView({
  ctx,
  viewId,
}: {
  ctx: ServiceContext
  viewId: string
}): Promise<void> {
  const userId = me(ctx)
  const gone = await ctx.db
    .delete(leadSavedViews)
    .where(
      and(
        eq(leadSavedViews.tenantId, ctx.tenantId),
        eq(leadSavedViews.userId, userId),
        eq(leadSavedViews.id, viewId),
      ),
    )
    .returning({ id: leadSavedViews.id })
  if (!gone.length) throw new NotFoundError('saved view not found')
}
