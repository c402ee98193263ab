import { startCard } from '../actions/approvals'
import { approvalTemplatesCard, approvalTodoCard } from '../cards/approval-form-card'
import { t } from '../cards/i18n'
import {
  findRecordStartedByWord,
  findTemplateByWord,
  listInstances,
  listTemplates,
} from '../domain/approvals'
import type { CommandSpec } from './types'

/** `发起 请假` / `new leave`: the template's form as a card; without a name, the list of templates. */
export const startApprovalCommand: CommandSpec = {
  key: 'approval.start',
  names: { 'zh-CN': ['发起', '申请'], en: ['new', 'request'] },
  summary: { 'zh-CN': '发起审批（请假、报销、采购…）', en: 'Start a request (leave, expense, purchase…)' },
  example: { 'zh-CN': '发起 请假', en: 'new leave' },
  run: async ({ ctx, locale, args }) => {
    const word = args.trim()
    if (!word) return { card: approvalTemplatesCard(await listTemplates({ ctx }), locale) }
    const found = await findTemplateByWord(ctx, word)
    if (!found) {
      // 「发起 合同」: 合同审批 starts from the contract, 回款审批 from registering a payment.
      const byRecord = await findRecordStartedByWord(ctx, word)
      if (byRecord)
        return {
          text: t(
            locale,
            `「${byRecord.name}」从业务记录发起：${byRecord.start.how.zh}。`,
            `"${byRecord.nameEn ?? byRecord.name}" requests start from their record: ${byRecord.start.how.en}.`,
          ),
        }
      return {
        card: approvalTemplatesCard(
          await listTemplates({ ctx }),
          locale,
          t(locale, `没有找到审批类型「${word}」，请选择：`, `No request type "${word}". Choose one:`),
        ),
      }
    }
    return { card: await startCard(ctx, locale, found.key) }
  },
}

/** `我的审批` / `todo`: pending tasks as a card with one-tap approve. */
export const todoApprovalsCommand: CommandSpec = {
  key: 'approval.todo',
  names: { 'zh-CN': ['我的审批', '待审批', '待办'], en: ['todo', 'approvals'] },
  summary: { 'zh-CN': '查看待我审批的事项', en: 'What waits for my approval' },
  example: { 'zh-CN': '我的审批', en: 'todo' },
  run: async ({ ctx, locale, timeZone }) => {
    const list = await listInstances({ ctx, input: { box: 'todo', pageSize: 10 } })
    return { card: approvalTodoCard(list.items, list.total, locale, timeZone) }
  },
}
