import { and, asc, eq, isNull, notInArray } from 'drizzle-orm'
import { approvalTemplates } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { recordStartedTemplateKeys } from './on-finished'

export interface TemplateSummary {
  id: string
  key: string
  name: string
  nameEn: string | null
  description: string | null
  aliases: string[]
  version: number
  active: boolean
}

/** The tenant's templates (active ones unless `all`). */
export async function listTemplates({
  ctx,
  input = {},
}: {
  ctx: ServiceContext
  input?: { all?: boolean }
}): Promise<TemplateSummary[]> {
  const rows = await ctx.db
    .select()
    .from(approvalTemplates)
    .where(
      and(
        eq(approvalTemplates.tenantId, ctx.tenantId),
        // Templates an external system owns are started by it, not offered to people.
        ...(input.all
          ? []
          : [
              eq(approvalTemplates.active, true),
              isNull(approvalTemplates.externalSystemId),
              // …and so are those a domain starts for its own record (回款审批).
              notInArray(approvalTemplates.key, recordStartedTemplateKeys()),
            ]),
      ),
    )
    .orderBy(asc(approvalTemplates.createdAt), asc(approvalTemplates.key))
  return rows.map((r) => ({
    id: r.id,
    key: r.key,
    name: r.name,
    nameEn: r.nameEn,
    description: r.description,
    aliases: r.aliases,
    version: r.currentVersion,
    active: r.active,
  }))
}

/** Finds a template by its key or one of its chat aliases (`请假`, `leave`). */
export async function findTemplateByWord(ctx: ServiceContext, word: string): Promise<TemplateSummary | null> {
  const w = word.trim().toLowerCase()
  if (!w) return null
  const all = await listTemplates({ ctx })
  return (
    all.find((t) => t.key === w || t.name === word.trim() || t.aliases.some((a) => a.toLowerCase() === w)) ??
    null
  )
}
