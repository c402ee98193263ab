import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadActorScope, scopeFilter, widestScope } from '../../bot/domain/org/data-scope'
import { systemClock } from '../../bot/lib/clock'
import type { Database } from '../../db/client'
import { users } from '../../db/schema'
import type { SeededOrg } from '../../db/seed/org'
import { createTestTenant, openTestDatabase } from '../helpers/db'

const silent = { debug() {}, info() {}, warn() {}, error() {} }
let database: Database
let org: SeededOrg
let other: SeededOrg

beforeAll(async () => {
  database = await openTestDatabase()
  org = await createTestTenant(database)
  other = await createTestTenant(database)
})
afterAll(async () => database.close())

/**
 * Rows "owned" by each user of the demo tree (root → 销售部 → 华东/华北销售组, plus 市场/财务/人事): the users
 * table itself, owner = the user's id. Returns the spec keys the actor may see.
 */
async function visibleTo(actorKey: string, tenant = org): Promise<string[]> {
  const userId = tenant.users[actorKey] ?? ''
  const ctx = {
    tenantId: tenant.tenantId,
    actor: { kind: 'user' as const, userId, via: 'miniapp' as const },
    db: database.db,
    clock: systemClock,
    logger: silent,
  }
  const scope = await loadActorScope(ctx)
  const rows = await database.db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.tenantId, tenant.tenantId), scopeFilter(scope, users.id)))
  const byId = Object.fromEntries(Object.entries(tenant.users).map(([k, v]) => [v, k]))
  return rows.map((r) => byId[r.id] ?? `foreign:${r.id}`).sort()
}

const sales = [
  'liming',
  'zhangwei',
  'liuyang',
  'chenjing',
  'yangfan',
  'zhaolei',
  'huangli',
  'zhoujie',
  'wumin',
]
const east = ['zhangwei', 'liuyang', 'chenjing', 'yangfan']
const sorted = (xs: string[]) => [...xs].sort()

describe('data scope', () => {
  it('self: a sales rep sees only their own rows', async () => {
    expect(await visibleTo('liuyang')).toEqual(['liuyang'])
  })

  it('department: marketing sees its own department, not sub-trees of others', async () => {
    expect(await visibleTo('xuna')).toEqual(sorted(['sunyue', 'xuna', 'machao']))
  })

  it('department and below: the sales director sees all three levels under 销售部', async () => {
    expect(await visibleTo('liming')).toEqual(sorted(sales))
  })

  it('department and below: a team lead sees only their team', async () => {
    expect(await visibleTo('zhangwei')).toEqual(sorted(east))
  })

  it('all: the admin sees the whole tenant and nothing of another tenant', async () => {
    const seen = await visibleTo('wangjianguo')
    expect(seen).toHaveLength(20)
    expect(seen.some((k) => k.startsWith('foreign:'))).toBe(false)
  })

  it('two roles: the wider scope wins', async () => {
    expect(await visibleTo('hefang')).toHaveLength(20)
    expect(widestScope(['self', 'department_tree', 'department'])).toBe('department_tree')
    expect(widestScope([])).toBe('self')
  })

  it('a user of another tenant sees only that tenant', async () => {
    const seen = await visibleTo('liming', other)
    expect(seen).toEqual(sorted(sales))
  })
})
