import { describe, expect, it } from 'vitest'
import { InvalidInputError } from '../../errors'
import type { ApproverSpec, FlowGraph } from '../schemas'
import { checkApproversResolvable, type PublishOrg } from './publish-check'

const user = (id: string, status = 'active') =>
  [id, { id, status, managerId: null, departmentId: 'd1' }] as const
const org: PublishOrg = {
  users: new Map([user('u1'), user('u2', 'inactive'), user('lead')]),
  departments: new Map([
    ['d1', { id: 'd1', parentId: null, leaderUserId: 'lead' }],
    ['d2', { id: 'd2', parentId: 'd1', leaderUserId: null }],
  ]),
  roleMembers: new Map([['finance', ['u1']]]),
  roleKeys: new Set(['finance', 'legal']),
}

/** start → manager → condition(amount > 5000 → big → end; default → end). */
const flow = (big: ApproverSpec, emptyPolicy: 'skip' | 'admin' = 'admin'): FlowGraph => ({
  nodes: [
    { id: 'start', type: 'start', next: 'mgr' },
    {
      id: 'mgr',
      type: 'approval',
      name: '上级',
      approvers: { kind: 'manager', level: 1 },
      mode: 'any',
      emptyPolicy: 'admin',
      next: 'c',
    },
    {
      id: 'c',
      type: 'condition',
      name: '金额',
      branches: [
        {
          name: '大于5000',
          when: [{ kind: 'form', field: 'amount', op: 'gt', value: 500_000 }],
          next: 'big',
        },
      ],
      defaultNext: 'end',
    },
    { id: 'big', type: 'approval', name: '财务', approvers: big, mode: 'any', emptyPolicy, next: 'end' },
    { id: 'end', type: 'end' },
  ],
})

function refusal(graph: FlowGraph): InvalidInputError | null {
  try {
    checkApproversResolvable(graph, org)
    return null
  } catch (err) {
    if (err instanceof InvalidInputError) return err
    throw err
  }
}

describe('checkApproversResolvable', () => {
  it('accepts approvers that exist: people, a role with members, a department with a head, relative ones', () => {
    expect(refusal(flow({ kind: 'users', userIds: ['u1', 'u2'] }))).toBeNull()
    expect(refusal(flow({ kind: 'role', roleKey: 'finance' }))).toBeNull()
    expect(refusal(flow({ kind: 'department_head', departmentId: 'd2', level: 1 }))).toBeNull()
    expect(refusal(flow({ kind: 'department_head', level: 0 }))).toBeNull()
    expect(refusal(flow({ kind: 'initiator_chooses', multiple: false }))).toBeNull()
  })

  it('refuses a branch whose node can never find an approver, naming the node and the branch', () => {
    const cases: Array<[ApproverSpec, string]> = [
      [{ kind: 'role', roleKey: 'legal' }, 'role legal has no members'],
      [{ kind: 'role', roleKey: 'nobody' }, 'role nobody does not exist'],
      [{ kind: 'users', userIds: ['u2'] }, 'every approver named has left'],
      [{ kind: 'users', userIds: ['ghost'] }, 'user ghost is not in the directory'],
      [{ kind: 'department_head', departmentId: 'd2', level: 0 }, 'that department has no head'],
    ]
    for (const [spec, why] of cases) {
      const err = refusal(flow(spec))
      expect(err?.details.field).toBe('flow.nodes.big')
      expect(err?.message).toContain('审批节点「财务」（条件「金额」的分支「大于5000」）找不到审批人')
      expect(err?.message).toContain(why)
    }
  })

  it('lets a node that says to pass when nobody is found through', () => {
    expect(refusal(flow({ kind: 'role', roleKey: 'legal' }, 'skip'))).toBeNull()
  })
})
