import type { ApprovalNode, CcNode } from './schemas'

/*
 * Building blocks of the approval flows flowcard ships (the default templates, the contract approval):
 * the common approval steps, named in both languages.
 */

/** The initiator's direct manager; `emptyPolicy` says what happens when there is none (a CEO). */
export const managerStep = (next: string, emptyPolicy: 'skip' | 'admin' = 'admin'): ApprovalNode => ({
  id: 'manager',
  type: 'approval',
  name: '直属上级',
  nameEn: 'Manager',
  approvers: { kind: 'manager', level: 1 },
  mode: 'any',
  emptyPolicy,
  next,
})

/** The head of the initiator's department (`level` 0) or of the one above (1). */
export const departmentHeadStep = (
  id: string,
  level: number,
  next: string,
  emptyPolicy: 'skip' | 'admin' = 'skip',
): ApprovalNode => ({
  id,
  type: 'approval',
  name: level === 0 ? '部门负责人' : '上级部门负责人',
  nameEn: level === 0 ? 'Department head' : 'Head of the parent department',
  approvers: { kind: 'department_head', level },
  mode: 'any',
  emptyPolicy,
  next,
})

/** The 财务 (finance) role. */
export const financeStep = (next: string): ApprovalNode => ({
  id: 'finance',
  type: 'approval',
  name: '财务审批',
  nameEn: 'Finance',
  approvers: { kind: 'role', roleKey: 'finance' },
  mode: 'any',
  emptyPolicy: 'admin',
  next,
})

/** A copy to everyone holding a role (人事 hr, 财务 finance); nobody approves. */
export const ccRoleStep = (
  id: string,
  roleKey: string,
  name: string,
  nameEn: string,
  next: string,
): CcNode => ({
  id,
  type: 'cc',
  name,
  nameEn,
  approvers: { kind: 'role', roleKey },
  next,
})
