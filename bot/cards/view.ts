import type { Card } from '../chat/model'
import type { View, ViewKind } from '../domain/chat'
import type { Locale } from '../domain/locale'

/**
 * A presenter bound to a view kind: the frozen snapshot, the reader's language and time zone in, a neutral
 * card out.
 */
export interface Presenter {
  kind: string
  render(data: unknown, locale: Locale, timeZone: string): Card
}

/** Binds a presenter to the view kind the domain declared (`viewKind` in `bot/domain/<area>`). */
export function defineView<D>(
  kind: ViewKind<D>,
  render: (data: D, locale: Locale, timeZone: string) => Card,
): Presenter {
  return { kind: kind.kind, render: (data, locale, timeZone) => render(data as D, locale, timeZone) }
}

/** A renderer over a list of presenters; an unknown kind is an error (a view no presenter was registered for). */
export function viewRenderer(
  presenters: readonly Presenter[],
): (view: View, locale: Locale, timeZone: string) => Card {
  const byKind = new Map<string, Presenter>()
  for (const p of presenters) {
    if (byKind.has(p.kind)) throw new Error(`two presenters for view ${p.kind}`)
    byKind.set(p.kind, p)
  }
  return (view, locale, timeZone) => {
    const presenter = byKind.get(view.kind)
    if (!presenter) throw new Error(`no presenter for view ${view.kind}`)
    return presenter.render(view.data, locale, timeZone)
  }
}
