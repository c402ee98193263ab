import 'fake-indexeddb/auto'
import { flushPromises, mount } from '@vue/test-utils'
import { createStore } from 'idb-keyval'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from '@/api/errors'
import PendingCheckIns from '@/components/visits/PendingCheckIns.vue'
import { setOfflineQueue } from '@/composables/use-offline-queue'
import { createAppI18n } from '@/i18n'
import { createOfflineQueue, idbStorage, type QueuedItem } from './queue'
import { CHECK_IN_KIND } from './senders'

/** A switchable network and a sender that fails while it is down, like fetch does. */
function network() {
  let up = true
  const events = new EventTarget()
  const sent: QueuedItem[] = []
  const sender = vi.fn(async (item: QueuedItem) => {
    if (!up) throw new ApiError({ status: 0, code: 'network_error', message: 'offline' })
    sent.push(item)
  })
  return {
    events,
    sender,
    sent,
    isOnline: () => up,
    goOffline() {
      up = false
      events.dispatchEvent(new Event('offline'))
    },
    goOnline() {
      up = true
      events.dispatchEvent(new Event('online'))
    },
  }
}

let dbCounter = 0
function storage() {
  dbCounter += 1
  return idbStorage(createStore(`flowcard-test-${dbCounter}`, 'queue'))
}

const payload = { customerId: 'cus_1', checkedInAt: '2026-11-26T08:00:00.000Z', lat: 31.2304, lng: 121.4737 }

describe('offline queue', () => {
  afterEach(() => setOfflineQueue(null))

  it('keeps an offline check-in in IndexedDB with its original time and key, and sends it when online', async () => {
    const net = network()
    const store = storage()
    const queue = createOfflineQueue({
      storage: store,
      senders: { [CHECK_IN_KIND]: net.sender },
      isOnline: net.isOnline,
      events: net.events as unknown as Window,
    })
    await queue.start()
    net.goOffline()
    const item = await queue.enqueue(CHECK_IN_KIND, payload, { createdAt: payload.checkedInAt })
    await flushPromises()

    expect(net.sender).not.toHaveBeenCalled()
    expect(queue.items.value).toHaveLength(1)
    expect(await store.all()).toEqual([expect.objectContaining({ id: item.id, payload, state: 'pending' })])
    expect(item.id).toMatch(/^ck_/)

    net.goOnline()
    await vi.waitFor(() => expect(queue.items.value).toHaveLength(0))
    expect(net.sent).toEqual([expect.objectContaining({ id: item.id, payload, createdAt: payload.checkedInAt })])
    expect(await store.all()).toEqual([])
    queue.stop()
  })

  it('survives a reload: a new queue over the same store sends what the last one left', async () => {
    const net = network()
    const store = storage()
    net.goOffline()
    const first = createOfflineQueue({ storage: store, senders: { [CHECK_IN_KIND]: net.sender }, isOnline: net.isOnline, events: null })
    await first.enqueue(CHECK_IN_KIND, payload)
    first.stop()

    net.goOnline()
    const second = createOfflineQueue({ storage: store, senders: { [CHECK_IN_KIND]: net.sender }, isOnline: net.isOnline, events: null })
    await second.start()
    expect(net.sent).toHaveLength(1)
    expect(second.items.value).toEqual([])
  })

  it('retries network failures with growing delays, and marks refusals (4xx) failed without retrying', async () => {
    {
      let clock = 1_000_000
      const attempts: number[] = []
      let answer: () => never = () => {
        throw new ApiError({ status: 503, code: 'unavailable', message: 'busy' })
      }
      const sender = vi.fn(async () => {
        attempts.push(clock)
        answer()
      })
      const timers: Array<{ at: number; fn: () => void }> = []
      const queue = createOfflineQueue({
        storage: storage(),
        senders: { [CHECK_IN_KIND]: sender },
        isOnline: () => true,
        events: null,
        now: () => clock,
        baseDelayMs: 1000,
        setTimer: (fn, ms) => {
          const timer = { at: clock + ms, fn }
          timers.push(timer)
          return timer
        },
        clearTimer: (handle) => {
          const i = timers.indexOf(handle as (typeof timers)[number])
          if (i >= 0) timers.splice(i, 1)
        },
      })
      const tick = async () => {
        const next = timers.sort((a, b) => a.at - b.at).shift()
        if (!next) throw new Error('no timer')
        clock = Math.max(clock, next.at)
        next.fn()
        await vi.waitFor(() => expect(queue.items.value[0]?.state).not.toBe('sending'))
        await flushPromises()
      }
      await queue.enqueue(CHECK_IN_KIND, payload)
      await tick()
      await tick()
      await tick()
      expect(attempts.map((t) => t - (attempts[0] ?? 0))).toEqual([0, 1000, 3000])
      expect(queue.items.value[0]).toMatchObject({ state: 'pending', attempts: 3, lastError: 'busy' })

      answer = () => {
        throw new ApiError({ status: 400, code: 'invalid_input', message: 'check-in is older than 30 days' })
      }
      await tick()
      expect(queue.items.value[0]).toMatchObject({ state: 'failed', lastError: 'check-in is older than 30 days' })
      expect(timers).toHaveLength(0)
      await queue.discard(queue.items.value[0]?.id ?? '')
      expect(queue.items.value).toEqual([])
    }
  })
})

describe('PendingCheckIns', () => {
  beforeEach(() => localStorage.clear())
  afterEach(() => setOfflineQueue(null))

  it('shows offline check-ins as pending and clears them once the network returns', async () => {
    const net = network()
    const queue = createOfflineQueue({
      storage: storage(),
      senders: { [CHECK_IN_KIND]: net.sender },
      isOnline: net.isOnline,
      events: net.events as unknown as Window,
    })
    setOfflineQueue(queue)
    net.goOffline()
    const wrapper = mount(PendingCheckIns, {
      props: { customerId: 'cus_1' },
      global: { plugins: [createAppI18n()] },
    })
    await queue.enqueue(CHECK_IN_KIND, payload)
    await queue.enqueue(CHECK_IN_KIND, { ...payload, customerId: 'cus_other' })
    await flushPromises()

    expect(wrapper.text()).toContain('待同步的签到')
    expect(wrapper.text()).toContain('离线中，联网后自动提交')
    expect(wrapper.findAll('[data-testid="pending-state"]')).toHaveLength(1)
    expect(wrapper.find('[data-testid="pending-state"]').attributes('data-state')).toBe('pending')

    net.goOnline()
    await vi.waitFor(() => expect(net.sent).toHaveLength(2))
    await flushPromises()
    expect(wrapper.find('[data-testid="pending-check-ins"]').exists()).toBe(false)
  })
})
