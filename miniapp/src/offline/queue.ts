import { createStore, del, entries, set, type UseStore } from 'idb-keyval'
import { type Ref, ref, shallowRef } from 'vue'
import { ApiError } from '@/api/errors'

/** One action taken without a network, kept on the device until the bot has accepted it. */
export interface QueuedItem<P = unknown> {
  /** The client idempotency key, also sent to the bot: a retry after a lost answer is accepted once. */
  id: string
  kind: string
  payload: P
  /** When the user acted (ISO); the bot receives this original time, not the time of sending. */
  createdAt: string
  attempts: number
  /** Earliest next try (ms since epoch); 0 = as soon as the network is there. */
  nextAttemptAt: number
  /** `failed`: the bot refused it (4xx); kept so the user sees it and can discard it. */
  state: 'pending' | 'sending' | 'failed'
  lastError: string | null
}

/** Where queued items live; IndexedDB in the app, anything in tests. */
export interface QueueStorage {
  all(): Promise<QueuedItem[]>
  put(item: QueuedItem): Promise<void>
  remove(id: string): Promise<void>
}

/** Sends one item to the bot; throw to keep it (network, 5xx) or to fail it (4xx `ApiError`). */
export type Sender = (item: QueuedItem) => Promise<unknown>

export interface OfflineQueueDeps {
  storage: QueueStorage
  senders: Record<string, Sender>
  isOnline?(): boolean
  now?(): number
  /** Where `online`/`offline` events come from (window). */
  events?: Pick<Window, 'addEventListener' | 'removeEventListener'> | null
  /** Backoff: first retry delay and ceiling, in ms. */
  baseDelayMs?: number
  maxDelayMs?: number
  setTimer?(fn: () => void, ms: number): unknown
  clearTimer?(handle: unknown): void
}

export interface OfflineQueue {
  /** Items not yet accepted by the bot, oldest first (reactive). */
  readonly items: Ref<QueuedItem[]>
  readonly online: Ref<boolean>
  /** Loads what an earlier visit left and starts listening to the network; idempotent. */
  start(): Promise<void>
  stop(): void
  enqueue<P>(kind: string, payload: P, options?: { id?: string; createdAt?: string }): Promise<QueuedItem<P>>
  /** Sends every due item now (one at a time, oldest first). */
  flush(options?: { force?: boolean }): Promise<void>
  discard(id: string): Promise<void>
}

/** IndexedDB through idb-keyval (one small database of its own). */
export function idbStorage(store: UseStore = createStore('flowcard-offline', 'queue')): QueueStorage {
  return {
    async all() {
      const rows = await entries<string, QueuedItem>(store)
      return rows.map(([, item]) => item)
    },
    put: (item) => set(item.id, item, store),
    remove: (id) => del(id, store),
  }
}

/** A fallback for web views without IndexedDB: survives the page in localStorage. */
export function localStorageStorage(storage: Storage, key = 'flowcard.offline-queue'): QueueStorage {
  const read = (): QueuedItem[] => {
    try {
      const parsed: unknown = JSON.parse(storage.getItem(key) ?? '[]')
      return Array.isArray(parsed) ? (parsed as QueuedItem[]) : []
    } catch {
      return []
    }
  }
  const write = (items: QueuedItem[]) => storage.setItem(key, JSON.stringify(items))
  return {
    all: async () => read(),
    put: async (item) => write([...read().filter((i) => i.id !== item.id), item]),
    remove: async (id) => write(read().filter((i) => i.id !== id)),
  }
}

export function newClientKey(): string {
  const random =
    typeof crypto !== 'undefined' && typeof crypto.getRandomValues === 'function'
      ? Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('')
      : `${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`
  return `ck_${Date.now().toString(36)}_${random}`
}

/** A network failure, a timeout, a 5xx, 408 or 429: worth trying again later. Other 4xx are final. */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof ApiError)) return true
  return error.status === 0 || error.status >= 500 || error.status === 408 || error.status === 429
}

const byCreated = (a: QueuedItem, b: QueuedItem) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0)

export function createOfflineQueue(deps: OfflineQueueDeps): OfflineQueue {
  const now = deps.now ?? (() => Date.now())
  const isOnline = deps.isOnline ?? (() => (typeof navigator === 'undefined' ? true : navigator.onLine !== false))
  const baseDelay = deps.baseDelayMs ?? 2_000
  const maxDelay = deps.maxDelayMs ?? 5 * 60_000
  const setTimer = deps.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms))
  const clearTimer = deps.clearTimer ?? ((handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>))
  const events = deps.events === undefined ? (typeof window === 'undefined' ? null : window) : deps.events

  // Shallow: items are replaced whole, and must stay plain objects for IndexedDB's structured clone.
  const items = shallowRef<QueuedItem[]>([])
  const online = ref(isOnline())
  let started: Promise<void> | null = null
  let flushing: Promise<void> | null = null
  let timer: unknown = null

  const replace = (item: QueuedItem) => {
    items.value = [...items.value.filter((i) => i.id !== item.id), item].sort(byCreated)
  }
  const drop = (id: string) => {
    items.value = items.value.filter((i) => i.id !== id)
  }

  function schedule(): void {
    if (timer !== null) clearTimer(timer)
    timer = null
    // Offline: the `online` event wakes the queue; no polling meanwhile.
    if (!isOnline()) return
    const due = items.value.filter((i) => i.state === 'pending').map((i) => i.nextAttemptAt)
    if (due.length === 0) return
    const wait = Math.max(0, Math.min(...due) - now())
    timer = setTimer(() => {
      timer = null
      void flush()
    }, wait)
  }

  const onOnline = () => {
    online.value = true
    void flush({ force: true })
  }
  const onOffline = () => {
    online.value = false
  }

  async function sendOne(item: QueuedItem): Promise<void> {
    const sender = deps.senders[item.kind]
    const sending: QueuedItem = { ...item, state: 'sending', attempts: item.attempts + 1 }
    replace(sending)
    try {
      if (!sender) throw new Error(`no sender for ${item.kind}`)
      await sender(sending)
      await deps.storage.remove(item.id)
      drop(item.id)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      const retry = sender !== undefined && isRetryable(error)
      const delay = Math.min(maxDelay, baseDelay * 2 ** Math.min(sending.attempts - 1, 16))
      const next: QueuedItem = {
        ...sending,
        state: retry ? 'pending' : 'failed',
        nextAttemptAt: retry ? now() + delay : 0,
        lastError: message,
      }
      replace(next)
      await deps.storage.put(next)
      if (error instanceof ApiError && error.status === 0) online.value = isOnline()
    }
  }

  async function runFlush(force: boolean): Promise<void> {
    for (;;) {
      if (!isOnline()) {
        online.value = false
        return
      }
      online.value = true
      const due = items.value.filter((i) => i.state === 'pending' && (force || i.nextAttemptAt <= now()))
      const first = due[0]
      if (!first) return
      await sendOne(first)
      // A failed send during a forced flush must not loop: only force the first pass.
      const after = items.value.find((i) => i.id === first.id)
      if (after && after.state === 'pending') force = false
    }
  }

  function flush(options: { force?: boolean } = {}): Promise<void> {
    if (!flushing) {
      flushing = runFlush(options.force ?? false).finally(() => {
        flushing = null
        schedule()
      })
    }
    return flushing
  }

  return {
    items,
    online,
    start() {
      if (!started) {
        started = (async () => {
          events?.addEventListener('online', onOnline)
          events?.addEventListener('offline', onOffline)
          const stored = await deps.storage.all().catch(() => [])
          // An item caught mid-send by a closed page is simply pending again (the key makes it safe).
          items.value = stored.map((i) => (i.state === 'sending' ? { ...i, state: 'pending' as const } : i)).sort(byCreated)
          await flush({ force: true })
        })()
      }
      return started
    },
    stop() {
      events?.removeEventListener('online', onOnline)
      events?.removeEventListener('offline', onOffline)
      if (timer !== null) clearTimer(timer)
      timer = null
      started = null
    },
    async enqueue<P>(kind: string, payload: P, options: { id?: string; createdAt?: string } = {}) {
      const item: QueuedItem<P> = {
        id: options.id ?? newClientKey(),
        kind,
        // A plain copy: callers often pass reactive state, which IndexedDB cannot clone.
        payload: JSON.parse(JSON.stringify(payload)) as P,
        createdAt: options.createdAt ?? new Date(now()).toISOString(),
        attempts: 0,
        nextAttemptAt: 0,
        state: 'pending',
        lastError: null,
      }
      await deps.storage.put(item)
      replace(item)
      schedule()
      return item
    },
    flush,
    async discard(id) {
      await deps.storage.remove(id)
      drop(id)
    },
  }
}
