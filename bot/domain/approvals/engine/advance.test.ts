import { describe, expect, it } from 'vitest'
import { DomainError } from '../../errors'
import type { ApprovalNode, PlanStep } from '../schemas'
import { afterApprove, buildPlan, initialTasks, type StepTask } from './advance'
import type { OrgSnapshot } from './approvers'

const step = (mode: PlanStep['mode'], ids: string[]): PlanStep => ({
  nodeId: 'n',
  type: 'approval',
  name: 'n',
  mode,
  approverIds: ids,
})
const auto = (who: string[]) => (id: string) => (who.includes(id) ? ('dedupe' as const) : null)

describe('initialTasks', () => {
  it('或签: one automatic pass decides the step', () => {
    expect(initialTasks(step('any', ['a', 'b']), auto(['b']))).toEqual({
      tasks: [{ assigneeId: 'b', seq: 1, status: 'approved', auto: 'dedupe' }],
      passed: true,
    })
  })
  it('会签: automatic passes count, the rest stay pending', () => {
    const r = initialTasks(step('all', ['a', 'b']), auto(['a']))
    expect(r.tasks.map((t) => t.status)).toEqual(['approved', 'pending'])
    expect(r.passed).toBe(false)
  })
  it('依次: passes at the head are taken, the first real approver is pending, the rest wait', () => {
    const r = initialTasks(step('sequential', ['a', 'b', 'c']), auto(['a', 'c']))
    expect(r.tasks.map((t) => t.status)).toEqual(['approved', 'pending', 'waiting'])
  })
  it('a skipped step passes with no tasks', () => {
    expect(initialTasks({ ...step('any', []), skipped: true }, auto([]))).toEqual({ tasks: [], passed: true })
  })
})

const task = (id: string, status: string, extra: Partial<StepTask> = {}): StepTask => ({
  id,
  assigneeId: id,
  status,
  seq: 0,
  origin: 'flow',
  parentTaskId: null,
  ...extra,
})

describe('afterApprove', () => {
  it('或签 passes and closes the peers', () => {
    expect(afterApprove('any', [task('a', 'approved'), task('b', 'pending')], 'a')).toEqual({
      activate: [],
      cancel: ['b'],
      passed: true,
    })
  })
  it('会签 waits for the others', () => {
    expect(afterApprove('all', [task('a', 'approved'), task('b', 'pending')], 'a').passed).toBe(false)
    expect(afterApprove('all', [task('a', 'approved'), task('b', 'approved')], 'b').passed).toBe(true)
  })
  it('依次 hands over to the next in line', () => {
    const r = afterApprove(
      'sequential',
      [task('a', 'approved'), task('c', 'waiting', { seq: 2 }), task('b', 'waiting', { seq: 1 })],
      'a',
    )
    expect(r).toEqual({ activate: ['b'], cancel: [], passed: false })
  })
  it('an add-sign before hands back to its owner; an add-sign after goes next', () => {
    expect(
      afterApprove(
        'any',
        [task('owner', 'waiting'), task('x', 'approved', { origin: 'add_before', parentTaskId: 'owner' })],
        'x',
      ),
    ).toEqual({ activate: ['owner'], cancel: [], passed: false })
    expect(
      afterApprove(
        'any',
        [task('owner', 'approved'), task('y', 'waiting', { origin: 'add_after', parentTaskId: 'owner' })],
        'owner',
      ),
    ).toEqual({ activate: ['y'], cancel: [], passed: false })
  })
})

describe('buildPlan', () => {
  const org: OrgSnapshot = {
    users: new Map([
      ['rep', { id: 'rep', status: 'active', managerId: 'gone', departmentId: null }],
      ['gone', { id: 'gone', status: 'inactive', managerId: null, departmentId: null }],
      ['admin', { id: 'admin', status: 'active', managerId: null, departmentId: null }],
    ]),
    departments: new Map(),
    roleMembers: new Map(),
  }
  const node = (
    id: string,
    approvers: ApprovalNode['approvers'],
    emptyPolicy: 'skip' | 'admin',
  ): ApprovalNode => ({
    id,
    type: 'approval',
    name: id,
    approvers,
    mode: 'any',
    emptyPolicy,
    next: 'end',
  })

  it('applies the empty-approver policy when the approver has left', () => {
    const plan = buildPlan(
      [node('m', { kind: 'manager', level: 1 }, 'admin'), node('s', { kind: 'manager', level: 1 }, 'skip')],
      org,
      {
        initiatorId: 'rep',
        chosen: {},
        adminIds: ['admin'],
      },
    )
    expect(plan.map((s) => [s.nodeId, s.approverIds, !!s.toAdmin, !!s.skipped])).toEqual([
      ['m', ['admin'], true, false],
      ['s', [], false, true],
    ])
  })

  it('refuses chosen approvers who left, and a node with nobody and no admin', () => {
    const fieldOf = (fn: () => unknown) => {
      try {
        fn()
      } catch (err) {
        if (err instanceof DomainError) return err.details.field
      }
      return undefined
    }
    expect(
      fieldOf(() =>
        buildPlan([node('pick', { kind: 'initiator_chooses', multiple: false }, 'admin')], org, {
          initiatorId: 'rep',
          chosen: { pick: ['gone'] },
          adminIds: [],
        }),
      ),
    ).toBe('approvers.pick')
    expect(
      fieldOf(() =>
        buildPlan([node('m', { kind: 'manager', level: 1 }, 'admin')], org, {
          initiatorId: 'rep',
          chosen: {},
          adminIds: [],
        }),
      ),
    ).toBe('flow.nodes.m')
  })
})
