import { computed, onScopeDispose, ref, watch } from 'vue'
import { searchCustomers } from '@/api/crm'
import type { CustomerHit } from '@/api/crm'
import { useResource } from './use-resource'

export type CustomerScope = 'all' | 'mine' | 'department' | 'pool'

export interface CustomerFilters {
  scope: CustomerScope
  tier: string
  region: string
  tags: string
}

const DEBOUNCE_MS = 250

/**
 * The customer list: search as you type (debounced; the bot matches names, pinyin and initials), the
 * scope filters the API knows (mine / my departments / pool / everything in my data scope), and tier /
 * region narrowed on the answer.
 */
export function useCustomerSearch(initial: Partial<CustomerFilters> = {}) {
  const query = ref('')
  const filters = ref<CustomerFilters>({ scope: 'all', tier: '', region: '', tags: '', ...initial })
  const { state, load } = useResource<CustomerHit[]>((signal) =>
    searchCustomers(
      {
        q: query.value.trim(),
        // 本部门: customers owned by people of my departments (and below), within my data scope.
        filter: filters.value.scope,
        limit: 100,
      },
      signal,
    ),
  )
  let timer: ReturnType<typeof setTimeout> | null = null
  const schedule = (delay: number) => {
    if (timer) clearTimeout(timer)
    timer = setTimeout(() => {
      timer = null
      void load()
    }, delay)
  }
  watch(query, () => schedule(DEBOUNCE_MS))
  watch(() => filters.value.scope, () => schedule(0))
  onScopeDispose(() => {
    if (timer) clearTimeout(timer)
  })

  const hits = computed<CustomerHit[]>(() => {
    if (state.value.kind !== 'ready') return []
    const { tier, region } = filters.value
    return state.value.data.filter(
      (hit) => (!tier || hit.tier === tier) && (!region.trim() || hit.region.includes(region.trim())),
    )
  })
  const tiers = computed(() => {
    if (state.value.kind !== 'ready') return []
    return [...new Set(state.value.data.map((h) => h.tier).filter((t): t is string => Boolean(t)))].sort()
  })

  return { query, filters, state, hits, tiers, load }
}
