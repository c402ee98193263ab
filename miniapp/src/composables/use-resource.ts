import { onScopeDispose, shallowRef } from 'vue'
import { type ErrorDescription, useErrorMessage } from './use-error-message'

export type ResourceState<T> =
  | { kind: 'loading' }
  | { kind: 'ready'; data: T }
  | ({ kind: 'error'; error: unknown } & ErrorDescription)

/**
 * One thing loaded from the API: `loading` → `ready` | `error` (with the user-facing message). `load`
 * aborts a call still running; a reload keeps the old data visible until the new answer arrives.
 */
export function useResource<T>(loader: (signal: AbortSignal) => Promise<T>) {
  const { describeError } = useErrorMessage()
  const state = shallowRef<ResourceState<T>>({ kind: 'loading' })
  let controller: AbortController | null = null

  async function load(): Promise<void> {
    controller?.abort()
    const current = new AbortController()
    controller = current
    if (state.value.kind !== 'ready') state.value = { kind: 'loading' }
    try {
      const data = await loader(current.signal)
      if (controller === current) state.value = { kind: 'ready', data }
    } catch (error) {
      if (current.signal.aborted) return
      state.value = { kind: 'error', error, ...describeError(error) }
    }
  }

  function set(data: T): void {
    state.value = { kind: 'ready', data }
  }

  onScopeDispose(() => controller?.abort())
  return { state, load, set }
}
