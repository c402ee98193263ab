import { and, eq, sql } from 'drizzle-orm'
import { users } from '../../../db/schema'
import { recordAudit } from '../audit/record-audit'
import { actorId, type ServiceContext } from '../context'
import { InvalidInputError, NotFoundError } from '../errors'

/** Sets the acting user's language for cards, chat replies and the mini-app. */
export async function setLocale({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: { locale: string }
}): Promise<void> {
  if (input.locale !== 'zh-CN' && input.locale !== 'en') {
    throw new InvalidInputError('locale', "locale must be 'zh-CN' or 'en'")
  }
  const userId = actorId(ctx.actor)
  if (!userId) throw new NotFoundError('user')
  const updated = await ctx.db
    .update(users)
    .set({ locale: input.locale, updatedAt: sql`now()` })
    .where(and(eq(users.tenantId, ctx.tenantId), eq(users.id, userId)))
    .returning({ id: users.id })
  if (updated.length === 0) throw new NotFoundError('user', userId)
  await recordAudit(ctx, {
    action: 'user.set_locale',
    targetType: 'user',
    targetId: userId,
    after: { locale: input.locale },
  })
}
