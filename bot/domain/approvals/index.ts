/** The approvals area's public surface: what code outside bot/domain/approvals/ may import. */
export { addSigner } from './add-signer'
export { approveTask } from './approve-task'
export { cancelInstance } from './cancel-instance'
export { createTemplate, previewTemplate } from './create-template'
export {
  defaultApprovalTemplates,
  expenseTemplate,
  installTemplates,
  leaveTemplate,
} from './default-templates'
export { displayValue, SIMPLE_FIELD_TYPES } from './engine/form'
export { escalateTask } from './escalate-task'
export { authenticateExternalCall } from './external/authenticate-call'
export { cancelExternalApproval, registerExternalTemplate } from './external/manage-external'
export {
  type ExternalSystemRow,
  listExternalSystems,
  registerExternalSystem,
  rotateExternalSecret,
  updateExternalSystem,
} from './external/manage-systems'
export { EXTERNAL_ID_RE, InitiatorRef } from './external/schemas'
export { getExternalApproval, startExternalApproval } from './external/start-external-approval'
export {
  APPROVAL_WEBHOOK,
  deliverWebhook,
  listWebhookDeliveries,
  redeliverWebhook,
  type WebhookPost,
} from './external/webhooks'
export { APPROVAL_FILE_TYPES, MAX_APPROVAL_FILE_BYTES, openApprovalFile, uploadApprovalFile } from './files'
export { ccRoleStep, departmentHeadStep, financeStep, managerStep } from './flow-builder'
export { getInstance, type TimelineEntry } from './get-instance'
export { getStatistics } from './get-statistics'
export { getTemplate } from './get-template'
export { type InstanceListItem, listInstances } from './list-instances'
export {
  findRecordStartedByWord,
  findTemplateByWord,
  listTemplates,
  type TemplateSummary,
} from './list-templates'
export { handleApprovalFinished } from './on-finished'
export { type FlowPreview, PreviewFlowInput, previewFlow } from './preview-flow'
export { APPROVAL_ESCALATE, APPROVAL_FINISHED, APPROVAL_REMIND } from './publish'
export { rejectTask } from './reject-task'
export { remindTask } from './remind-task'
export { resubmitInstance } from './resubmit-instance'
export { returnTask } from './return-task'
export {
  FlowGraphSchema,
  type FormField,
  FormFieldSchema,
  ListInstancesInput,
  StatisticsInput,
  type TemplateDefinitionInput,
  TemplateDefinitionSchema,
  TemplateSettingsSchema,
} from './schemas'
export { setTemplateActive } from './set-template-active'
export { startInstance } from './start-instance'
export { loadTask, loadTemplateVersion, type TemplateVersion } from './store'
export { requestTitle, type TitleParts } from './title'
export { transferTask } from './transfer-task'
export { updateTemplate } from './update-template'
export { urgeInstance } from './urge-instance'
export { type ApprovalView, currentTasks, loadView, userName, viewTitle } from './view'
export {
  type ApprovalOutcomeNote,
  approvalCcView,
  approvalProgressView,
  approvalResultView,
  approvalTaskView,
  approvalWebhookFailedView,
  thawApprovalView,
} from './views'
export { withdrawInstance } from './withdraw-instance'
