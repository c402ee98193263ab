import type { HomeTodos } from './contract'
import { apiFetch } from './index'

export function fetchHomeTodos(signal?: AbortSignal): Promise<HomeTodos> {
  return apiFetch<HomeTodos>('/api/v1/home', { signal })
}
