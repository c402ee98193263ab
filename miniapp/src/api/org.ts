import { api, type Schemas, unwrap } from './typed'

export type Person = Schemas['Person']
export type Department = Schemas['Department']

/** Colleagues by name, English name, job title or mobile (`GET /api/v1/org/people`), active only. */
export async function searchPeople(query: { q?: string; departmentId?: string; limit?: number }, signal?: AbortSignal) {
  return (await unwrap(api().GET('/api/v1/org/people', { params: { query }, signal }))).items
}

/** The tenant's department tree (`GET /api/v1/org/departments`). */
export async function listDepartments(signal?: AbortSignal) {
  return (await unwrap(api().GET('/api/v1/org/departments', { signal }))).items
}
