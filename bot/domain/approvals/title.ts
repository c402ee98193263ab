import { sql } from 'drizzle-orm'
import { approvalInstances, approvalTemplateVersions } from '../../../db/schema'
import type { Locale } from '../locale'

/**
 * A request's title is rendered for its reader from its parts — who asked, the template, and the value of the
 * template's title field (`reason`, `purpose`…) — so an English reader sees "Leave request from Jing Chen:
 * family visit" and a Chinese one 「陈静的请假：探亲」. The stored `title` column keeps the Chinese rendering,
 * for search and for external systems that read it.
 */
export interface TitleParts {
  initiatorName: string
  initiatorEnName?: string | null
  templateName: string
  templateNameEn?: string | null
  /** The title field's value (at most 40 characters), if the template has one and it was filled. */
  titleExtra?: string | null
}

export function requestTitle(p: TitleParts, locale: Locale): string {
  const extra = p.titleExtra ? p.titleExtra.slice(0, 40) : ''
  if (locale === 'en')
    return `${p.templateNameEn || p.templateName} request from ${p.initiatorEnName || p.initiatorName}${extra ? `: ${extra}` : ''}`
  return `${p.initiatorName}的${p.templateName}${extra ? `：${extra}` : ''}`
}

/** The title field's value of a form, as the title shows it (text only: a table or a number is left out). */
export function titleExtraOf(
  settings: { titleField?: string | undefined },
  form: Record<string, unknown>,
): string | null {
  const v = settings.titleField ? form[settings.titleField] : undefined
  return typeof v === 'string' && v ? v.slice(0, 40) : null
}

/**
 * The same value in SQL, for lists: needs `approval_template_versions` joined on the instance's version.
 */
export const titleExtraSql = sql<
  string | null
>`case when jsonb_typeof(${approvalInstances.form} -> (${approvalTemplateVersions.settings} ->> 'titleField')) = 'string' then nullif(left(${approvalInstances.form} ->> (${approvalTemplateVersions.settings} ->> 'titleField'), 40), '') end`
