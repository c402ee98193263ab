import type { Department, Person } from '@/api/org'

/** One choice in a picker: the record's id, its name, and a line that tells namesakes apart. */
export interface OrgOption {
  id: string
  label: string
  hint?: string
}

export interface OrgSearchDeps {
  searchPeople(query: { q: string; limit: number }): Promise<Person[]>
  listDepartments(): Promise<Department[]>
}

export interface OrgSearch {
  people(q: string): Promise<OrgOption[]>
  departments(q: string): Promise<OrgOption[]>
}

const LIMIT = 20

export function personOption(p: Person): OrgOption {
  const hint = [p.departmentName, p.jobTitle].filter(Boolean).join(' · ')
  return { id: p.id, label: p.name, ...(hint ? { hint } : {}) }
}

/** The tree as a list, each department with its path ("销售部 / 华东区") as the hint. */
export function flattenDepartments(tree: readonly Department[]): OrgOption[] {
  const out: OrgOption[] = []
  const walk = (nodes: readonly Department[], path: string[]) => {
    for (const d of nodes) {
      out.push({ id: d.id, label: d.name, ...(path.length ? { hint: path.join(' / ') } : {}) })
      walk(d.children, [...path, d.name])
    }
  }
  walk(tree, [])
  return out
}

/**
 * Searches for the people and department pickers. People are searched by the bot (name, English name,
 * title, mobile); the department tree is small, so it is loaded once and filtered here by name or path.
 * A failed tree load is not cached, so the next keystroke tries again.
 */
export function createOrgSearch(deps: OrgSearchDeps): OrgSearch {
  let tree: Promise<OrgOption[]> | null = null
  const departmentsList = () => {
    tree ??= deps.listDepartments().then(flattenDepartments, (error: unknown) => {
      tree = null
      throw error
    })
    return tree
  }
  return {
    async people(q) {
      const query = q.trim()
      if (!query) return []
      return (await deps.searchPeople({ q: query, limit: LIMIT })).map(personOption)
    },
    async departments(q) {
      const query = q.trim().toLowerCase()
      if (!query) return []
      const all = await departmentsList()
      return all
        .filter((d) => d.label.toLowerCase().includes(query) || (d.hint ?? '').toLowerCase().includes(query))
        .slice(0, LIMIT)
    },
  }
}
