import { describe, expect, it } from 'vitest'
import { blankTemplate, insertNode, orderNodes, removeNode } from './template-draft'

describe('template draft', () => {
  it('inserts a condition after the manager, keeping the flow connected, and removes it again', () => {
    const nodes = blankTemplate().flow.nodes
    const withCond = insertNode(nodes, 'manager', 'condition', 'amount')
    const cond = withCond.find((n) => n.type === 'condition')
    expect(cond).toMatchObject({ id: 'condition', defaultNext: 'end', branches: [{ next: 'end' }] })
    expect(withCond.find((n) => n.id === 'manager')).toMatchObject({ next: 'condition' })
    const withCc = insertNode(withCond, 'start', 'cc')
    expect(orderNodes(withCc).map((n) => n.id)).toEqual(['start', 'cc', 'manager', 'condition', 'end'])
    const back = removeNode(withCc, 'condition')
    expect(back.find((n) => n.id === 'manager')).toMatchObject({ next: 'end' })
    expect(back.some((n) => n.id === 'condition')).toBe(false)
  })
})
