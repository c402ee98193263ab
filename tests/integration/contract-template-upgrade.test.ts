import { readFileSync } from 'node:fs'
import { and, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkDefinition } from '../../bot/domain/approvals/create-template'
import { installTemplates } from '../../bot/domain/approvals/default-templates'
import {
  ccRoleStep,
  departmentHeadStep,
  financeStep,
  managerStep,
} from '../../bot/domain/approvals/flow-builder'
import type { TemplateDefinitionInput } from '../../bot/domain/approvals/schemas'
import { startInstance } from '../../bot/domain/approvals/start-instance'
import { updateTemplate } from '../../bot/domain/approvals/update-template'
import { withdrawInstance } from '../../bot/domain/approvals/withdraw-instance'
import { contractApprovalTemplate } from '../../bot/domain/contracts/approval-template'
import { createContract } from '../../bot/domain/contracts/create-contract'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import type { Database } from '../../db/client'
import {
  approvalInstances,
  approvalTasks,
  approvalTemplates,
  approvalTemplateVersions,
  auditLog,
  contracts,
  outbox,
} from '../../db/schema'
import { openOwnDatabase } from '../helpers/feishu'
import { pendingTaskOf } from './approvals-harness'
import { type CrmTenant, crmTenant, ctxAs, tap } from './crm-harness'
import { apiCall, salesStack, simClock } from './sales-harness'

/**
 * Tenants made before 合同审批 referenced its contract: their `contract` template was the generic default
 * (no contract field, no business reference). Migration 0043 upgrades it where nobody customised it and
 * mends contracts already sent to it; where an admin did, submitting a contract uses the template's 合同
 * field if it has one and otherwise refuses, saying what the admin must change.
 */

/** The 合同审批 every tenant got up to migration 0042, as bot/domain/approvals/default-templates.ts had it. */
function previousDefault(): TemplateDefinitionInput {
  return {
    key: 'contract',
    name: '合同审批',
    nameEn: 'Contract',
    description: '合同审批：直属上级与部门负责人审批，超过 100000 元需财务审批',
    aliases: ['合同', '合同审批', 'contract'],
    form: [
      { key: 'title', label: '合同名称', labelEn: 'Title', type: 'text', required: true, maxLength: 100 },
      { key: 'customer', label: '客户', labelEn: 'Customer', type: 'customer', required: true },
      { key: 'amount', label: '合同金额', labelEn: 'Amount', type: 'money', required: true, min: 1 },
      { key: 'signDate', label: '签订日期', labelEn: 'Signing date', type: 'date' },
      { key: 'notes', label: '说明', labelEn: 'Notes', type: 'textarea' },
      { key: 'files', label: '合同附件', labelEn: 'Files', type: 'attachment' },
    ],
    flow: {
      nodes: [
        { id: 'start', type: 'start', next: 'manager' },
        managerStep('head', 'skip'),
        departmentHeadStep('head', 0, 'amount'),
        {
          id: 'amount',
          type: 'condition',
          name: '合同金额',
          branches: [
            {
              name: '超过 100000 元',
              when: [{ kind: 'form', field: 'amount', op: 'gt', value: 10_000_000 }],
              next: 'finance',
            },
          ],
          defaultNext: 'cc_finance',
        },
        financeStep('end'),
        ccRoleStep('cc_finance', 'finance', '抄送财务', 'CC finance', 'end'),
        { id: 'end', type: 'end' },
      ],
    },
    settings: {
      dedupe: 'consecutive',
      initiatorAutoPass: true,
      escalateAction: 'to_manager',
      titleField: 'title',
    },
  }
}

const migration = readFileSync(
  new URL('../../db/migrations/0043_contract-template-upgrade.sql', import.meta.url),
  'utf8',
)

let own: { database: Database; drop: () => Promise<void> }
let database: Database
/** Never customised: the generic template as installed for a new tenant. */
let plain: CrmTenant
/** An admin published their own generic-shaped 合同审批 (no contract field). */
let edited: CrmTenant
/** An admin published a 合同审批 with a 合同 field but no business reference. */
let withField: CrmTenant
const clock = simClock()

beforeAll(async () => {
  own = await openOwnDatabase()
  database = own.database
  plain = await crmTenant(database)
  edited = await crmTenant(database)
  withField = await crmTenant(database)
  for (const t of [plain, edited, withField])
    await installTemplates(database.db, t.tenantId, [previousDefault()])
  const mine = previousDefault()
  await updateTemplate({
    ctx: ctxAs(database, edited, 'wangjianguo'),
    input: { key: 'contract', definition: { ...mine, description: '本公司合同审批' } },
  })
  await updateTemplate({
    ctx: ctxAs(database, withField, 'wangjianguo'),
    input: {
      key: 'contract',
      definition: {
        ...mine,
        form: [{ key: 'deal', label: '合同', labelEn: 'Contract', type: 'contract' }, ...mine.form],
      },
    },
  })
})
afterAll(async () => {
  await own?.drop()
})

async function draftContract(t: CrmTenant, name: string) {
  const ctx = ctxAs(database, t, 'liuyang')
  const customer = await createCustomer({ ctx, input: { name: `${name} 客户` } })
  return createContract({ ctx, input: { name, customerId: customer.id, amountCents: 3_000_000 } })
}

/** A contract sent to the generic template as the previous code did: a request with no contract in it. */
async function sentToGeneric(t: CrmTenant, name: string) {
  const ctr = await draftContract(t, name)
  const view = await startInstance({
    ctx: ctxAs(database, t, 'liuyang'),
    // The previous submitContract started it as the contract's own verb (a hand start is refused now).
    forRecord: true,
    input: {
      templateKey: 'contract',
      form: { title: `${ctr.number} ${name}`, customer: ctr.customer.id, amount: 3_000_000 },
    },
  })
  await database.db
    .update(contracts)
    .set({ status: 'in_approval', approvalInstanceId: view.instance.id })
    .where(eq(contracts.id, ctr.id))
  return { contractId: ctr.id, instanceId: view.instance.id }
}

const statusOf = async (id: string) =>
  (await database.db.select({ s: contracts.status }).from(contracts).where(eq(contracts.id, id)))[0]?.s

const templateOf = async (t: CrmTenant) => {
  const [row] = await database.db
    .select({
      version: approvalTemplates.currentVersion,
      description: approvalTemplates.description,
      form: approvalTemplateVersions.form,
      flow: approvalTemplateVersions.flow,
      settings: approvalTemplateVersions.settings,
      createdBy: approvalTemplateVersions.createdBy,
    })
    .from(approvalTemplates)
    .innerJoin(
      approvalTemplateVersions,
      and(
        eq(approvalTemplateVersions.templateId, approvalTemplates.id),
        eq(approvalTemplateVersions.version, approvalTemplates.currentVersion),
      ),
    )
    .where(and(eq(approvalTemplates.tenantId, t.tenantId), eq(approvalTemplates.key, 'contract')))
  return row
}

describe('the 合同审批 upgrade (migration 0043)', () => {
  let pending: { contractId: string; instanceId: string }
  let withdrawn: { contractId: string; instanceId: string }

  it('refuses, before the upgrade, to send a contract to a template that cannot lead back to it', async () => {
    const stack = await salesStack(database, plain.tenantId, clock)
    try {
      const ctr = await draftContract(plain, '旧模板合同')
      const res = await apiCall(stack.app, plain, 'liuyang', 'POST', `/crm/contracts/${ctr.id}/submit`, {})
      expect(res.status).toBe(409)
      expect(res.body.error.field).toBe('templateKey')
      expect(res.body.error.message).toContain('合同')
      expect(res.body.error.message).toContain('Contract field')
      expect(await statusOf(ctr.id)).toBe('draft')
      const made = await database.db
        .select({ id: approvalInstances.id })
        .from(approvalInstances)
        .where(eq(approvalInstances.tenantId, plain.tenantId))
      expect(made).toEqual([])
    } finally {
      await stack.close()
    }
    // Contracts the previous code sent: one still waiting on its request, one whose request was withdrawn.
    pending = await sentToGeneric(plain, '待审合同')
    withdrawn = await sentToGeneric(plain, '已撤回合同')
    await withdrawInstance({
      ctx: ctxAs(database, plain, 'liuyang'),
      input: { instanceId: withdrawn.instanceId },
    })
  })

  it('publishes the default 合同审批 where nobody customised it and leaves an admin’s version alone', async () => {
    const editedBefore = await templateOf(edited)
    for (const statement of migration.split('--> statement-breakpoint'))
      await database.db.execute(sql.raw(statement))

    const upgraded = await templateOf(plain)
    const def = checkDefinition(contractApprovalTemplate())
    // The very definition new tenants get: one 合同审批, not two drifting apart.
    expect(upgraded).toMatchObject({
      version: 2,
      description: def.description,
      form: def.form,
      flow: def.flow,
      settings: def.settings,
      createdBy: null,
    })
    const audited = await database.db
      .select({ action: auditLog.action, after: auditLog.after })
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, plain.tenantId), eq(auditLog.actorKind, 'system')))
    expect(audited).toContainEqual({ action: 'approval.template.update', after: { version: 2 } })
    expect(await templateOf(edited)).toEqual(editedBefore)
    expect((await templateOf(withField))?.version).toBe(2)
    expect((await templateOf(withField))?.settings.businessRefField).toBeUndefined()
  })

  it('mends the contracts sent to the generic template: each follows its request again', async () => {
    const stack = await salesStack(database, plain.tenantId, clock)
    try {
      const refs = await database.db
        .select({ id: approvalInstances.id, ref: approvalInstances.businessRef })
        .from(approvalInstances)
        .where(eq(approvalInstances.tenantId, plain.tenantId))
      expect(new Map(refs.map((r) => [r.id, r.ref]))).toEqual(
        new Map([
          [pending.instanceId, `contract:${pending.contractId}`],
          [withdrawn.instanceId, `contract:${withdrawn.contractId}`],
        ]),
      )
      // The withdrawn request's outcome, replayed: the contract is a draft again.
      const replay = await database.db
        .select({ payload: outbox.payload })
        .from(outbox)
        .where(and(eq(outbox.tenantId, plain.tenantId), eq(outbox.topic, 'approval.finished')))
      // (The withdrawal's own event, with no contract in it, is there too.)
      expect(replay.map((r) => r.payload)).toContainEqual({
        tenantId: plain.tenantId,
        instanceId: withdrawn.instanceId,
        templateKey: 'contract',
        status: 'withdrawn',
        businessRef: `contract:${withdrawn.contractId}`,
      })
      await stack.drain()
      expect(await statusOf(withdrawn.contractId)).toBe('draft')
      expect(await statusOf(pending.contractId)).toBe('in_approval')

      // The waiting one: approved by its approvers in chat (the generic flow, pinned), then active.
      for (let i = 0; i < 5; i++) {
        const [ins] = await database.db
          .select({ status: approvalInstances.status })
          .from(approvalInstances)
          .where(eq(approvalInstances.id, pending.instanceId))
        if (ins?.status !== 'pending') break
        const [open] = await database.db
          .select({ assigneeId: approvalTasks.assigneeId })
          .from(approvalTasks)
          .where(
            and(
              eq(approvalTasks.instanceId, pending.instanceId),
              eq(approvalTasks.status, 'pending'),
              eq(approvalTasks.kind, 'approve'),
            ),
          )
        const key = Object.entries(plain.users).find(([, id]) => id === open?.assigneeId)?.[0]
        if (!key) throw new Error('the pending request has no approver')
        const t = await pendingTaskOf(database, plain, pending.instanceId, key)
        const tapped = await tap(database, plain, key, { a: 'approval.approve', task: t.id, v: t.version })
        expect(tapped.toast?.kind).toBe('success')
      }
      await stack.drain()
      expect(await statusOf(pending.contractId)).toBe('active')

      // And a new contract goes through the upgraded template as in any new tenant.
      const ctr = await draftContract(plain, '新合同')
      const res = await apiCall(stack.app, plain, 'liuyang', 'POST', `/crm/contracts/${ctr.id}/submit`, {})
      expect(res.status).toBe(200)
      const [ins] = await database.db
        .select({ ref: approvalInstances.businessRef, version: approvalInstances.templateVersion })
        .from(approvalInstances)
        .where(eq(approvalInstances.id, res.body.approval.id))
      expect(ins).toEqual({ ref: `contract:${ctr.id}`, version: 2 })
    } finally {
      await stack.close()
    }
  })

  it('refuses a contract when an admin’s template has no 合同 field, naming the template, and writes nothing', async () => {
    const stack = await salesStack(database, edited.tenantId, clock)
    try {
      const ctr = await draftContract(edited, '自定义模板合同')
      const res = await apiCall(stack.app, edited, 'liuyang', 'POST', `/crm/contracts/${ctr.id}/submit`, {})
      expect(res.status).toBe(409)
      expect(JSON.stringify(res.body)).toContain('templateKey')
      expect(res.body.error.message).toContain('请管理员在该模板中添加一个「合同」字段')
      expect(await statusOf(ctr.id)).toBe('draft')
      const made = await database.db
        .select({ id: approvalInstances.id })
        .from(approvalInstances)
        .where(eq(approvalInstances.tenantId, edited.tenantId))
      expect(made).toEqual([])
    } finally {
      await stack.close()
    }
  })

  it('uses an admin’s template’s one 合同 field as the reference when the setting is missing', async () => {
    const stack = await salesStack(database, withField.tenantId, clock)
    try {
      const ctr = await draftContract(withField, '带合同字段的模板')
      const res = await apiCall(
        stack.app,
        withField,
        'liuyang',
        'POST',
        `/crm/contracts/${ctr.id}/submit`,
        {},
      )
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      const [ins] = await database.db
        .select({ ref: approvalInstances.businessRef, form: approvalInstances.form })
        .from(approvalInstances)
        .where(eq(approvalInstances.id, res.body.approval.id))
      expect(ins?.ref).toBe(`contract:${ctr.id}`)
      expect(ins?.form).toMatchObject({ deal: ctr.id })
    } finally {
      await stack.close()
    }
  })
})
