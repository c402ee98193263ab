import { searchCustomers } from '@/api/crm'
import { listDepartments, searchPeople } from '@/api/org'
import type { RefOption, RefType } from '@/components/approvals/form/form-model'
import { createOrgSearch, type OrgSearch } from '@/lib/org-search'

/** Reference kinds approval forms can search; CRM opportunities and contracts still take a typed id. */
export const SEARCHABLE_REF_KINDS: readonly RefType[] = ['customer', 'user', 'department']

/**
 * Search for the reference fields of approval forms and the people pickers: colleagues and departments
 * from the org directory, customers from the CRM (pinyin and initials work there).
 */
export function useRefSearch(): { searchRef: (kind: RefType, q: string) => Promise<RefOption[]>; org: OrgSearch } {
  const org = createOrgSearch({ searchPeople: (query) => searchPeople(query), listDepartments: () => listDepartments() })
  async function searchRef(kind: RefType, q: string): Promise<RefOption[]> {
    if (kind === 'user') return org.people(q)
    if (kind === 'department') return org.departments(q)
    if (kind !== 'customer') return []
    const hits = await searchCustomers({ q, filter: 'all', limit: 10 })
    return hits.map((h) => ({ id: h.id, label: h.name, hint: h.region }))
  }
  return { searchRef, org }
}
