/**
 * Notifications as data. A domain verb says what happened and who must be told by recording a `View`
 * (a kind and a frozen, JSON-only snapshot of what the card shows); a presenter registered for that kind in
 * `bot/cards/views.ts` renders it when the message is sent, in the recipient's language. The domain never
 * imports a presenter.
 *
 * A new kind is declared once, in the domain area that emits it:
 *
 *   export const leadAssignedView = viewKind<{ leadId: string; name: string }>('lead.assigned')
 *   await notify(ctx, { to: { userId }, view: leadAssignedView({ leadId, name }), ref: `lead:${leadId}` })
 *
 * and its presenter in `bot/cards/<entity>-card.ts`, registered in `bot/cards/views.ts`:
 *
 *   defineView(leadAssignedView, (data, locale) => leadAssignedCard(data, locale))
 */

/** JSON values only: a snapshot survives the outbox row unchanged (dates as ISO strings). */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json | undefined }

/** A recorded view: which presenter, and the snapshot it renders. */
export interface View<D = unknown> {
  kind: string
  data: D
}

/** A view kind: calling it wraps a snapshot as a `View`; `kind` names the presenter. */
export interface ViewKind<D> {
  readonly kind: string
  (data: D): View<D>
}

/** Declares a view kind and the type of its snapshot. */
export function viewKind<D>(kind: string): ViewKind<D> {
  const make = (data: D): View<D> => ({ kind, data })
  return Object.assign(make, { kind }) as ViewKind<D>
}
