import { describe, expect, it } from 'vitest'
import { DomainError } from '../../errors'
import type { FlowGraph, FormField } from '../schemas'
import { validateFlow, walkFlow } from './flow'

const form: FormField[] = [{ key: 'amount', label: '金额', type: 'money' }]
const approval = (id: string, next: string) =>
  ({
    id,
    type: 'approval',
    name: id,
    approvers: { kind: 'manager', level: 1 },
    mode: 'any',
    emptyPolicy: 'admin',
    next,
  }) as const

const graph: FlowGraph = {
  nodes: [
    { id: 'start', type: 'start', next: 'm' },
    approval('m', 'c'),
    {
      id: 'c',
      type: 'condition',
      name: '金额',
      branches: [
        { name: '大额', when: [{ kind: 'form', field: 'amount', op: 'gt', value: 500_000 }], next: 'f' },
        { name: '销售', when: [{ kind: 'role', roleKeys: ['sales'] }], next: 'cc' },
      ],
      defaultNext: 'end',
    },
    approval('f', 'cc'),
    { id: 'cc', type: 'cc', name: '抄送', approvers: { kind: 'role', roleKey: 'hr' }, next: 'end' },
    { id: 'end', type: 'end' },
  ],
}

const fieldOf = (g: FlowGraph): string | undefined => {
  try {
    validateFlow(g, form)
  } catch (err) {
    if (err instanceof DomainError) return err.details.field
    throw err
  }
  return undefined
}

describe('validateFlow', () => {
  it('accepts a flow that can complete', () => {
    expect(fieldOf(graph)).toBeUndefined()
  })

  it('names the unreachable node, the missing link, the branchless condition, the loop', () => {
    expect(fieldOf({ nodes: [...graph.nodes, approval('island', 'end')] })).toBe('flow.nodes.island')
    expect(fieldOf({ nodes: graph.nodes.map((n) => (n.id === 'f' ? approval('f', 'nowhere') : n)) })).toBe(
      'flow.nodes.f',
    )
    expect(
      fieldOf({
        nodes: graph.nodes.map((n) => (n.type === 'condition' ? { ...n, defaultNext: undefined } : n)),
      }),
    ).toBe('flow.nodes.c')
    expect(fieldOf({ nodes: graph.nodes.map((n) => (n.id === 'f' ? approval('f', 'm') : n)) })).toBe(
      'flow.nodes.m',
    )
    expect(
      fieldOf({
        nodes: graph.nodes
          .filter((n) => n.type !== 'end')
          .map((n) => (n.id === 'cc' ? { ...n, next: 'start' } : n)),
      }),
    ).toBe('flow.nodes')
  })

  it('refuses a condition on a field the form does not have', () => {
    const g: FlowGraph = {
      nodes: graph.nodes.map((n) =>
        n.type === 'condition'
          ? {
              ...n,
              branches: [
                { name: 'x', when: [{ kind: 'form', field: 'nope', op: 'gt', value: 1 }], next: 'f' },
              ],
            }
          : n,
      ),
    }
    expect(fieldOf(g)).toBe('flow.nodes.c')
  })
})

describe('walkFlow', () => {
  const walk = (amount: number, roleKeys: string[]) =>
    walkFlow(graph, { form: { amount }, departmentPaths: [], roleKeys }).map((n) => n.id)

  it('takes the first branch that holds, else the default', () => {
    expect(walk(600_000, ['sales'])).toEqual(['m', 'f', 'cc'])
    expect(walk(100, ['sales'])).toEqual(['m', 'cc'])
    expect(walk(100, [])).toEqual(['m'])
  })
})
