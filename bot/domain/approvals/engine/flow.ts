import { InvalidInputError } from '../../errors'
import type { ApprovalNode, CcNode, FlowGraph, FlowNode, FormField } from '../schemas'
import { allHold, type ConditionContext } from './conditions'

const nodePath = (id: string) => `flow.nodes.${id}`

/** The ids a node leads to. */
export function successors(node: FlowNode): string[] {
  switch (node.type) {
    case 'end':
      return []
    case 'condition':
      return [...node.branches.map((b) => b.next), ...(node.defaultNext ? [node.defaultNext] : [])]
    default:
      return [node.next]
  }
}

/**
 * Refuses a flow that cannot complete: duplicate ids, not exactly one start, no end, a link to a missing
 * node, a condition without a default branch or on an unknown field, a node the start cannot reach, a
 * cycle. The error names the node (`field: flow.nodes.<id>`).
 */
export function validateFlow(graph: FlowGraph, form: readonly FormField[]): void {
  const byId = new Map<string, FlowNode>()
  for (const node of graph.nodes) {
    if (byId.has(node.id)) throw new InvalidInputError(nodePath(node.id), `node ${node.id} appears twice`)
    byId.set(node.id, node)
  }
  const starts = graph.nodes.filter((n) => n.type === 'start')
  if (starts.length !== 1) {
    throw new InvalidInputError('flow.nodes', `a flow needs exactly one start node, found ${starts.length}`)
  }
  if (!graph.nodes.some((n) => n.type === 'end')) {
    throw new InvalidInputError('flow.nodes', 'a flow needs an end node')
  }
  const fieldKeys = new Set(form.map((f) => f.key))
  for (const node of graph.nodes) {
    for (const next of successors(node)) {
      if (!byId.has(next)) {
        throw new InvalidInputError(nodePath(node.id), `node ${node.id} leads to unknown node ${next}`)
      }
    }
    if (node.type === 'condition') {
      if (!node.defaultNext) {
        throw new InvalidInputError(nodePath(node.id), `condition node ${node.id} has no default branch`)
      }
      for (const branch of node.branches) {
        for (const c of branch.when) {
          if (c.kind === 'form' && !fieldKeys.has(c.field)) {
            throw new InvalidInputError(
              nodePath(node.id),
              `condition node ${node.id} tests unknown form field ${c.field}`,
            )
          }
        }
      }
    }
  }
  const start = starts[0] as FlowNode
  // Depth-first from start: grey = on the current path (a grey successor is a cycle), black = done.
  const colour = new Map<string, 'grey' | 'black'>()
  const visit = (id: string): void => {
    colour.set(id, 'grey')
    const node = byId.get(id) as FlowNode
    for (const next of successors(node)) {
      const c = colour.get(next)
      if (c === 'grey') throw new InvalidInputError(nodePath(next), `the flow loops back to node ${next}`)
      if (c === undefined) visit(next)
    }
    colour.set(id, 'black')
  }
  visit(start.id)
  for (const node of graph.nodes) {
    if (!colour.has(node.id)) {
      throw new InvalidInputError(nodePath(node.id), `node ${node.id} cannot be reached from the start`)
    }
  }
}

/**
 * Walks a (valid) flow for one submission: conditions are decided on the form and the initiator, so the
 * result is the ordered list of approval and CC nodes this request will pass through.
 */
export function walkFlow(graph: FlowGraph, ctx: ConditionContext): Array<ApprovalNode | CcNode> {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]))
  const out: Array<ApprovalNode | CcNode> = []
  let node: FlowNode | undefined = graph.nodes.find((n) => n.type === 'start')
  for (let guard = 0; node && guard <= graph.nodes.length; guard++) {
    switch (node.type) {
      case 'end':
        return out
      case 'start':
        node = byId.get(node.next)
        break
      case 'approval':
      case 'cc':
        out.push(node)
        node = byId.get(node.next)
        break
      case 'condition': {
        const branch = node.branches.find((b) => allHold(b.when, ctx))
        node = byId.get(branch ? branch.next : (node.defaultNext ?? ''))
        break
      }
    }
  }
  return out
}
