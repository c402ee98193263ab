import { and, asc, eq, inArray, isNull, notInArray } from 'drizzle-orm'
import { approvalTemplates } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { type RecordStart, recordStartedTemplateKeys, recordStartOf } from './on-finished'

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

const matches =
  (word: string) =>
  (t: { key: string; name: string; aliases: string[] }): boolean => {
    const w = word.trim().toLowerCase()
    return t.key === w || t.name === word.trim() || t.aliases.some((a) => a.toLowerCase() === w)
  }

/** Finds a template by its key or one of its chat aliases (`请假`, `leave`). */
export async function findTemplateByWord(ctx: ServiceContext, word: string): Promise<TemplateSummary | null> {
  if (!word.trim()) return null
  const all = await listTemplates({ ctx })
  return all.find(matches(word)) ?? null
}

/**
 * The tenant's active record-started template a word names (「发起 合同」), with where a person starts it
 * instead: chat answers with that rather than a list the template is not in.
 */
export async function findRecordStartedByWord(
  ctx: ServiceContext,
  word: string,
): Promise<{ name: string; nameEn: string | null; start: RecordStart } | null> {
  const keys = recordStartedTemplateKeys()
  if (!word.trim() || keys.length === 0) return null
  const rows = await ctx.db
    .select({
      key: approvalTemplates.key,
      name: approvalTemplates.name,
      nameEn: approvalTemplates.nameEn,
      aliases: approvalTemplates.aliases,
    })
    .from(approvalTemplates)
    .where(
      and(
        eq(approvalTemplates.tenantId, ctx.tenantId),
        eq(approvalTemplates.active, true),
        isNull(approvalTemplates.externalSystemId),
        inArray(approvalTemplates.key, keys),
      ),
    )
  const row = rows.find(matches(word))
  const start = row && recordStartOf(row.key)
  return row && start ? { name: row.name, nameEn: row.nameEn, start } : null
}
