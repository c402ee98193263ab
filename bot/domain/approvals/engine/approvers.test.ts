import { describe, expect, it } from 'vitest'
import { type OrgSnapshot, resolveApprovers } from './approvers'

const user = (id: string, managerId: string | null, departmentId: string, status = 'active') =>
  [id, { id, managerId, departmentId, status }] as const

const org: OrgSnapshot = {
  users: new Map([
    user('ceo', null, 'root'),
    user('vp', 'ceo', 'sales'),
    user('lead', 'vp', 'east'),
    user('rep', 'lead', 'east'),
    user('gone', 'lead', 'east', 'inactive'),
    user('fin', 'ceo', 'finance'),
  ]),
  departments: new Map([
    ['root', { id: 'root', parentId: null, leaderUserId: 'ceo' }],
    ['sales', { id: 'sales', parentId: 'root', leaderUserId: 'vp' }],
    ['east', { id: 'east', parentId: 'sales', leaderUserId: 'lead' }],
    ['finance', { id: 'finance', parentId: 'root', leaderUserId: null }],
  ]),
  roleMembers: new Map([['finance', ['fin', 'gone']]]),
}

const resolve = (spec: Parameters<typeof resolveApprovers>[1]['spec'], chosen?: string[]) =>
  resolveApprovers(org, { spec, initiatorId: 'rep', chosen })

describe('resolveApprovers', () => {
  it('walks managers N levels up', () => {
    expect(resolve({ kind: 'manager', level: 1 }).userIds).toEqual(['lead'])
    expect(resolve({ kind: 'manager', level: 3 }).userIds).toEqual(['ceo'])
    expect(resolve({ kind: 'manager', level: 4 }).userIds).toEqual([])
  })

  it('finds department heads of the initiator’s department, levels up, or a given department', () => {
    expect(resolve({ kind: 'department_head', level: 0 }).userIds).toEqual(['lead'])
    expect(resolve({ kind: 'department_head', level: 1 }).userIds).toEqual(['vp'])
    expect(resolve({ kind: 'department_head', departmentId: 'finance', level: 0 }).userIds).toEqual([])
  })

  it('resolves roles and chosen people, setting apart those who left', () => {
    expect(resolve({ kind: 'role', roleKey: 'finance' })).toEqual({ userIds: ['fin'], inactive: ['gone'] })
    expect(resolve({ kind: 'initiator_chooses', multiple: true }, ['vp', 'vp', 'fin']).userIds).toEqual([
      'vp',
      'fin',
    ])
    expect(resolve({ kind: 'users', userIds: ['gone'] })).toEqual({ userIds: [], inactive: ['gone'] })
  })
})
