import { AsyncLocalStorage } from 'node:async_hooks'

/**
 * The time zone cards are rendered in, for the work in progress: the send job sets it around a render, chat
 * dispatch around a tap or command (whose answer card is built inside). Kept per async context, so two
 * tenants' work interleaving on one process never sees the other's zone.
 */
const store = new AsyncLocalStorage<string>()

export const runInZone = <T>(zone: string, fn: () => T): T => store.run(zone, fn)

export const zoneInScope = (): string | undefined => store.getStore()
