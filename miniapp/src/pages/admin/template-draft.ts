import type { paths } from '@/api/schema'

/** What `POST /approvals/templates` takes (and `PUT` with `baseVersion`). */
export type TemplateBody = paths['/api/v1/approvals/templates']['post']['requestBody']['content']['application/json']
export type DraftField = TemplateBody['form'][number]
export type DraftNode = TemplateBody['flow']['nodes'][number]
export type ApproverSpec = Extract<DraftNode, { type: 'approval' }>['approvers']
export type Condition = Extract<DraftNode, { type: 'condition' }>['branches'][number]['when'][number]

export const FIELD_TYPES = [
  'text',
  'textarea',
  'number',
  'money',
  'date',
  'dateRange',
  'select',
  'multiselect',
  'user',
  'department',
  'attachment',
  'image',
  'customer',
  'opportunity',
  'contract',
  'table',
] as const satisfies ReadonlyArray<DraftField['type']>

export type DraftColumn = NonNullable<DraftField['columns']>[number]
export const COLUMN_TYPES = ['text', 'number', 'money', 'date', 'select'] as const satisfies ReadonlyArray<DraftColumn['type']>

/** A new column for a table field: a key not yet among its columns. */
export function newColumn(columns: readonly DraftColumn[]): DraftColumn {
  const taken = new Set(columns.map((c) => c.key))
  let key = 'col'
  for (let i = 2; taken.has(key); i++) key = `col${i}`
  return { key, label: '', type: 'text' }
}

export const APPROVER_KINDS = ['manager', 'department_head', 'role', 'users', 'initiator_chooses'] as const

/** A blank template: one reason field, the direct manager approves. */
export function blankTemplate(): TemplateBody {
  return {
    key: '',
    name: '',
    aliases: [],
    form: [{ key: 'reason', label: '事由', labelEn: 'Reason', type: 'textarea', required: true }],
    flow: {
      nodes: [
        { id: 'start', type: 'start', next: 'manager' },
        { id: 'manager', type: 'approval', name: '直属上级', approvers: { kind: 'manager', level: 1 }, mode: 'any', emptyPolicy: 'admin', next: 'end' },
        { id: 'end', type: 'end' },
      ],
    },
    settings: { dedupe: 'none', initiatorAutoPass: false, escalateAction: 'to_manager' },
  }
}

/** A default spec for an approver kind picked in the designer. */
export function approverOf(kind: (typeof APPROVER_KINDS)[number]): ApproverSpec {
  switch (kind) {
    case 'manager':
      return { kind, level: 1 }
    case 'department_head':
      return { kind, level: 0 }
    case 'role':
      return { kind, roleKey: 'admin' }
    case 'users':
      return { kind, userIds: [] }
    case 'initiator_chooses':
      return { kind, multiple: false }
  }
}

/** A node id not yet in the flow: `<prefix>`, `<prefix>_2`, … */
export function freshId(nodes: readonly DraftNode[], prefix: string): string {
  const taken = new Set(nodes.map((n) => n.id))
  if (!taken.has(prefix)) return prefix
  for (let i = 2; ; i++) if (!taken.has(`${prefix}_${i}`)) return `${prefix}_${i}`
}

/**
 * Adds a node after `afterId` (the start, or any node with a single next): the new node takes over where
 * that node led, so the flow stays connected. A condition gets one branch and a default, both to there.
 */
export function insertNode(nodes: DraftNode[], afterId: string, type: 'approval' | 'cc' | 'condition', field?: string): DraftNode[] {
  const at = nodes.find((n) => n.id === afterId)
  if (!at || at.type === 'end' || at.type === 'condition') return nodes
  const id = freshId(nodes, type)
  const next = at.next
  const node: DraftNode =
    type === 'condition'
      ? {
          id,
          type,
          name: '条件',
          branches: [{ name: '分支1', when: [{ kind: 'form', field: field ?? '', op: 'gt', value: 0 }], next }],
          defaultNext: next,
        }
      : type === 'cc'
        ? { id, type, name: '抄送', approvers: { kind: 'role', roleKey: 'admin' }, next }
        : { id, type, name: '审批', approvers: { kind: 'manager', level: 1 }, mode: 'any', emptyPolicy: 'admin', next }
  return nodes.map((n) => (n.id === afterId ? { ...at, next: id } : n)).concat(node)
}

/** Removes a node, pointing everything that led to it where it led (a condition's default path). */
export function removeNode(nodes: DraftNode[], id: string): DraftNode[] {
  const gone = nodes.find((n) => n.id === id)
  if (!gone || gone.type === 'start' || gone.type === 'end') return nodes
  const to = gone.type === 'condition' ? (gone.defaultNext ?? 'end') : gone.next
  const redirect = (x: string) => (x === id ? to : x)
  return nodes
    .filter((n) => n.id !== id)
    .map((n) => {
      if (n.type === 'end') return n
      if (n.type === 'condition')
        return { ...n, branches: n.branches.map((b) => ({ ...b, next: redirect(b.next) })), ...(n.defaultNext ? { defaultNext: redirect(n.defaultNext) } : {}) }
      return { ...n, next: redirect(n.next) }
    })
}

/** The nodes in the order a reader follows them: depth-first from the start, each once, the end last. */
export function orderNodes(nodes: readonly DraftNode[]): DraftNode[] {
  const byId = new Map(nodes.map((n) => [n.id, n]))
  const out: DraftNode[] = []
  const seen = new Set<string>()
  const visit = (id: string | undefined) => {
    const n = id ? byId.get(id) : undefined
    if (!n || seen.has(n.id) || n.type === 'end') return
    seen.add(n.id)
    out.push(n)
    if (n.type === 'condition') {
      for (const b of n.branches) visit(b.next)
      visit(n.defaultNext)
    } else visit(n.next)
  }
  visit(nodes.find((n) => n.type === 'start')?.id)
  for (const n of nodes) if (!seen.has(n.id) && n.type !== 'end') out.push(n)
  return out.concat(nodes.filter((n) => n.type === 'end'))
}
