import { and, desc, eq, exists, inArray, isNull, or, type SQL } from 'drizzle-orm'
import {
  approvalFiles,
  approvalInstances,
  approvalReferences,
  approvalTasks,
  approvalTemplates,
  approvalTemplateVersions,
  customers,
  users,
} from '../../../db/schema'
import type { ServiceContext } from '../context'
import { loadCrmAccess, visibleCustomers } from '../crm/access'
import { DomainError, InvalidInputError } from '../errors'
import type { FileRef, ReferenceKind } from './engine/form'
import { approvalAdminSql, checkReferences } from './store'
import { requestTitle, titleExtraSql } from './title'

type Ref = { field: string; kind: ReferenceKind; id: string }
type CrmKind = 'customer' | 'opportunity' | 'contract'

/**
 * Returns the ids among `ids` that exist in the tenant and that the context's actor (the initiator) may see.
 */
export type ReferenceResolver = (ctx: ServiceContext, ids: string[]) => Promise<Set<string>>

/**
 * Hook for the CRM records that do not exist yet: when opportunities and contracts land, the CRM registers
 * `registerReferenceResolver('contract', …)` and approval forms start checking them (existence and the
 * initiator's data scope). Until then such references are stored as given.
 */
const resolvers = new Map<Exclude<CrmKind, 'customer'>, ReferenceResolver>()

export function registerReferenceResolver(kind: Exclude<CrmKind, 'customer'>, fn: ReferenceResolver): void {
  resolvers.set(kind, fn)
}

/** Customers the actor may read (own scope, shared with them, or the pool). */
const visibleCustomerIds: ReferenceResolver = async (ctx, ids) => {
  const access = await loadCrmAccess(ctx)
  const rows = await ctx.db
    .select({ id: customers.id })
    .from(customers)
    .where(and(inArray(customers.id, ids), visibleCustomers(ctx, access)))
  return new Set(rows.map((r) => r.id))
}

const crmNames: Record<CrmKind, string> = { customer: '客户', opportunity: '商机', contract: '合同' }

/**
 * Checks every record a submission names: users and departments exist (users active), CRM records exist
 * and are inside the initiator's data scope (404 naming the field, so existence outside one's scope does not
 * leak), and files were uploaded by the initiator and belong to no other request (400 naming the field).
 * The context's actor must be the initiator. Returns the uploads by key, to store their real name and size.
 */
export async function checkFormReferences(
  ctx: ServiceContext,
  refs: Ref[],
  options: { initiatorId: string; instanceId?: string },
): Promise<Map<string, FileRef>> {
  const org = refs.filter(
    (r): r is Ref & { kind: 'user' | 'department' } => r.kind === 'user' || r.kind === 'department',
  )
  if (org.length > 0) {
    const bad = await checkReferences(ctx, org)
    if (bad) throw new InvalidInputError(bad, `${bad}: 不存在或已离职 / unknown or inactive`)
  }
  for (const kind of ['customer', 'opportunity', 'contract'] as const) {
    const list = refs.filter((r) => r.kind === kind)
    if (list.length === 0) continue
    const resolver = kind === 'customer' ? visibleCustomerIds : resolvers.get(kind)
    if (!resolver) continue
    const ok = await resolver(
      ctx,
      list.map((r) => r.id),
    )
    const bad = list.find((r) => !ok.has(r.id))
    if (bad) {
      throw new DomainError(
        'not_found',
        `${bad.field}: ${crmNames[kind]}不存在或不在你的数据范围内 / ${kind} ${bad.id} not found or outside your data scope`,
        { field: bad.field },
      )
    }
  }
  const files = refs.filter((r) => r.kind === 'file' || r.kind === 'image')
  const out = new Map<string, FileRef>()
  if (files.length === 0) return out
  const rows = await ctx.db
    .select()
    .from(approvalFiles)
    .where(
      and(
        eq(approvalFiles.tenantId, ctx.tenantId),
        inArray(
          approvalFiles.key,
          files.map((f) => f.id),
        ),
      ),
    )
  const byKey = new Map(rows.map((r) => [r.key, r]))
  for (const f of files) {
    const row = byKey.get(f.id)
    const usable =
      row &&
      row.uploaderId === options.initiatorId &&
      (row.instanceId === null || row.instanceId === options.instanceId)
    if (!row || !usable) {
      throw new InvalidInputError(
        f.field,
        `${f.field}: 文件不存在或不是申请人上传的 / file not found or not uploaded by the applicant`,
      )
    }
    if (f.kind === 'image' && !row.contentType.startsWith('image/')) {
      throw new InvalidInputError(f.field, `${f.field}: 需要图片 / expected an image`)
    }
    out.set(row.key, { key: row.key, name: row.name, size: row.size, contentType: row.contentType })
  }
  return out
}

/**
 * Records what a submitted form points at (replacing a previous round's), and ties the uploads to the
 * request so that its participants may download them. Call in the submission's transaction.
 */
export async function recordReferences(ctx: ServiceContext, instanceId: string, refs: Ref[]): Promise<void> {
  const crm = refs.filter(
    (r): r is Ref & { kind: CrmKind } =>
      r.kind === 'customer' || r.kind === 'opportunity' || r.kind === 'contract',
  )
  const fileKeys = refs.filter((r) => r.kind === 'file' || r.kind === 'image').map((r) => r.id)
  await Promise.all([
    ctx.db
      .delete(approvalReferences)
      .where(
        and(eq(approvalReferences.tenantId, ctx.tenantId), eq(approvalReferences.instanceId, instanceId)),
      )
      .then(() =>
        crm.length > 0
          ? ctx.db
              .insert(approvalReferences)
              .values(
                crm.map((r) => ({
                  tenantId: ctx.tenantId,
                  instanceId,
                  kind: r.kind,
                  refId: r.id,
                  field: r.field,
                })),
              )
              .onConflictDoNothing()
          : undefined,
      ),
    fileKeys.length > 0
      ? ctx.db
          .update(approvalFiles)
          .set({ instanceId })
          .where(
            and(
              eq(approvalFiles.tenantId, ctx.tenantId),
              inArray(approvalFiles.key, fileKeys),
              isNull(approvalFiles.instanceId),
            ),
          )
      : undefined,
  ])
}

export interface RecordApproval {
  id: string
  serialNo: string
  title: string
  templateKey: string
  templateName: string
  status: string
  initiator: { id: string; name: string }
  createdAt: string
  finishedAt: string | null
}

/**
 * The approvals whose forms name a CRM record, newest first: the customer card's approvals section, titles
 * and names in the reader's language (`ctx.locale`). The
 * caller has already checked that the actor may see the record; of its approvals, a person sees only those
 * they could open (initiator, any task or CC on it, or approval admin), the same rule as `getInstance`, so a
 * colleague's contract request on a pool customer does not show on everyone's card.
 */
export async function listApprovalsForRecord(
  ctx: ServiceContext,
  kind: CrmKind,
  refId: string,
  limit = 20,
): Promise<RecordApproval[]> {
  let involved: SQL | undefined
  // Approval admins see every one: that check is a condition of this statement, not a read before it.
  if (ctx.actor.kind === 'user') {
    const me = ctx.actor.userId
    involved = or(
      approvalAdminSql(ctx.tenantId, me),
      eq(approvalInstances.initiatorId, me),
      exists(
        ctx.db
          .select({ one: approvalTasks.id })
          .from(approvalTasks)
          .where(
            and(
              eq(approvalTasks.tenantId, ctx.tenantId),
              eq(approvalTasks.instanceId, approvalInstances.id),
              eq(approvalTasks.assigneeId, me),
            ),
          ),
      ),
    )
  }
  const rows = await ctx.db
    .selectDistinctOn([approvalInstances.createdAt, approvalInstances.id], {
      id: approvalInstances.id,
      serialNo: approvalInstances.serialNo,
      title: approvalInstances.title,
      status: approvalInstances.status,
      templateKey: approvalTemplates.key,
      templateName: approvalTemplates.name,
      templateNameEn: approvalTemplates.nameEn,
      initiatorId: approvalInstances.initiatorId,
      initiatorName: users.name,
      initiatorEnName: users.enName,
      titleExtra: titleExtraSql,
      createdAt: approvalInstances.createdAt,
      finishedAt: approvalInstances.finishedAt,
    })
    .from(approvalReferences)
    .innerJoin(
      approvalInstances,
      and(
        eq(approvalInstances.tenantId, approvalReferences.tenantId),
        eq(approvalInstances.id, approvalReferences.instanceId),
      ),
    )
    .innerJoin(approvalTemplates, eq(approvalTemplates.id, approvalInstances.templateId))
    .innerJoin(approvalTemplateVersions, eq(approvalTemplateVersions.id, approvalInstances.templateVersionId))
    .leftJoin(users, and(eq(users.tenantId, ctx.tenantId), eq(users.id, approvalInstances.initiatorId)))
    .where(
      and(
        eq(approvalReferences.tenantId, ctx.tenantId),
        eq(approvalReferences.kind, kind),
        eq(approvalReferences.refId, refId),
        involved,
      ),
    )
    .orderBy(desc(approvalInstances.createdAt), desc(approvalInstances.id))
    .limit(limit)
  // In the reader's language, as the approval lists show them (`requestTitle`).
  const locale = ctx.locale ?? 'zh-CN'
  const en = locale === 'en'
  return rows.map((r) => ({
    id: r.id,
    serialNo: r.serialNo,
    title: r.initiatorName ? requestTitle({ ...r, initiatorName: r.initiatorName }, locale) : r.title,
    templateKey: r.templateKey,
    templateName: (en && r.templateNameEn) || r.templateName,
    status: r.status,
    initiator: { id: r.initiatorId, name: (en && r.initiatorEnName) || r.initiatorName || '' },
    createdAt: r.createdAt.toISOString(),
    finishedAt: r.finishedAt?.toISOString() ?? null,
  }))
}
