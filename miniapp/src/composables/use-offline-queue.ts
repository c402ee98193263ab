import { computed, onScopeDispose } from 'vue'
import { defaultSenders } from '@/offline/senders'
import {
  createOfflineQueue,
  idbStorage,
  localStorageStorage,
  type OfflineQueue,
  type QueuedItem,
  type QueueStorage,
} from '@/offline/queue'

let shared: OfflineQueue | null = null

function defaultStorage(): QueueStorage {
  try {
    if (typeof indexedDB !== 'undefined' && indexedDB) return idbStorage()
  } catch {
    // Some web views throw on touching indexedDB in private mode.
  }
  return localStorageStorage(localStorage)
}

/** Replaces the app's queue (tests, or a composition root that wants other storage). */
export function setOfflineQueue(queue: OfflineQueue | null): void {
  shared?.stop()
  shared = queue
}

export function getOfflineQueue(): OfflineQueue {
  if (!shared) shared = createOfflineQueue({ storage: defaultStorage(), senders: defaultSenders })
  return shared
}

/**
 * The device's queue of actions taken offline (check-ins): `pending` items of one `kind` (optionally
 * filtered), `enqueue`, `flush`. Items go out when the network returns (`online` event) and on a backoff
 * timer, each with its client key so the bot accepts it once.
 */
export function useOfflineQueue<P = unknown>(options: { kind?: string; filter?: (item: QueuedItem<P>) => boolean } = {}) {
  const queue = getOfflineQueue()
  void queue.start()
  const items = computed(() =>
    (queue.items.value as QueuedItem<P>[]).filter(
      (item) => (!options.kind || item.kind === options.kind) && (!options.filter || options.filter(item)),
    ),
  )
  const pendingCount = computed(() => items.value.filter((i) => i.state !== 'failed').length)
  onScopeDispose(() => undefined)
  return {
    items,
    pendingCount,
    online: queue.online,
    enqueue: <Q extends P>(kind: string, payload: Q, extra?: { id?: string; createdAt?: string }) =>
      queue.enqueue(kind, payload, extra),
    flush: () => queue.flush({ force: true }),
    discard: (id: string) => queue.discard(id),
  }
}
