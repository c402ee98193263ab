import type { CardActionHandler } from '../chat/model'
import { reportCardFor, reportKeyOf } from '../commands/reports'
import { InvalidInputError } from '../domain/errors'

/** Report buttons: one on the `报表` list card answers with that report's card for this month. */
export const reportActions: Record<string, CardActionHandler> = {
  'report.show': async ({ ctx, locale, payload }) => {
    const key = typeof payload.r === 'string' ? reportKeyOf(payload.r) : undefined
    if (!key) throw new InvalidInputError('r', 'unknown report')
    return { card: await reportCardFor(ctx, locale, key) }
  },
}
