import { describe, expect, it } from 'vitest'
import { expenseTemplate } from '../../db/seed/approvals'
import type { TemplateVersion } from '../domain/approvals'
import { FlowGraphSchema, FormFieldSchema, TemplateSettingsSchema } from '../domain/approvals'
import { approvalStartCard } from './approval-form-card'

const def = expenseTemplate()
const expense: TemplateVersion = {
  templateId: 'tpl_1',
  key: def.key,
  name: def.name,
  nameEn: def.nameEn ?? null,
  active: true,
  externalSystemId: null,
  versionId: 'tv_1',
  version: 1,
  form: FormFieldSchema.array().parse(def.form),
  flow: FlowGraphSchema.parse(def.flow),
  settings: TemplateSettingsSchema.parse({}),
}

describe('the chat form card of a template with an attachment field', () => {
  it('names the field left for the app and links to finish there, in Chinese', () => {
    const card = approvalStartCard(expense, 'zh-CN')
    const text = JSON.stringify(card.elements)
    expect(text).toContain('「费用明细、发票」需在小程序中填写或上传')
    const buttons = card.elements.flatMap((e) => (e.type === 'actions' ? e.buttons : []))
    expect(buttons).toContainEqual({
      text: '在小程序中填写（含费用明细、发票）',
      link: { path: '/approvals/new?template=expense' },
    })
  })

  it('names it in English in English', () => {
    const text = JSON.stringify(approvalStartCard(expense, 'en').elements)
    expect(text).toContain('Receipts: add in the app')
  })
})
