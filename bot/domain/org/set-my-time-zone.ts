import { and, eq, sql } from 'drizzle-orm'
import { FOLLOW_COMPANY_ZONE, users } from '../../../db/schema'
import { isTimeZone } from '../../lib/time-zone'
import { recordAudit } from '../audit/record-audit'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { InvalidInputError, NotFoundError } from '../errors'

/**
 * Sets the acting user's own time zone (an IANA name), or `null` to follow the company's whatever the
 * directory says. Kept apart from the directory's zone, so a directory sync never undoes it.
 * 400 naming `timeZone` for a zone that does not exist.
 */
export async function setMyTimeZone({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: { timeZone: string | null }
}): Promise<void> {
  const zone = input.timeZone === null ? null : input.timeZone.trim()
  if (zone !== null && !isTimeZone(zone)) {
    throw new InvalidInputError(
      'timeZone',
      `时区「${input.timeZone}」不存在 / unknown time zone ${input.timeZone}`,
    )
  }
  const userId = actorId(ctx.actor)
  if (!userId) throw new NotFoundError('user')
  const choice = zone ?? FOLLOW_COMPANY_ZONE
  await withTransaction(ctx, async (tx, c) => {
    const [before] = await tx
      .select({ choice: users.timeZoneChoice })
      .from(users)
      .where(and(eq(users.tenantId, c.tenantId), eq(users.id, userId)))
      .for('update')
    if (!before) throw new NotFoundError('user', userId)
    await tx
      .update(users)
      .set({ timeZoneChoice: choice, updatedAt: sql`now()` })
      .where(and(eq(users.tenantId, c.tenantId), eq(users.id, userId)))
    await recordAudit(c, {
      action: 'user.set_time_zone',
      targetType: 'user',
      targetId: userId,
      before: { timeZone: before.choice },
      after: { timeZone: choice },
    })
  })
}
