/** Leads (线索): channels, campaigns, intake, assignment, SLA, conversion and the channel analysis. */

export { acceptLead } from './accept-lead'
export { type LeadAccess, loadLeadAccess } from './access'
export { addLeadFollowUp, type LeadFollowUpRow, listLeadFollowUps } from './add-lead-follow-up'
export { analyseChannels, type ChannelAnalysis } from './analyse-channels'
export { claimLead } from './claim-lead'
export { type ConvertLeadResult, convertLead } from './convert-lead'
export { type CreateLeadResult, createLead } from './create-lead'
export { type LeadDto, leadDto } from './dto'
export { channelNameIn, DEFAULT_CHANNELS, ensureDefaultChannels } from './ensure-default-channels'
export type { LeadDuplicateHint } from './find-lead-duplicates'
export { getLead, getLeadCardView, type LeadCardView } from './get-lead'
export {
  LEAD_NOTIFY,
  LEAD_TIMER,
  type LeadNotifyKind,
  type LeadNotifyPayload,
  type LeadTimerPayload,
} from './lifecycle'
export { exportLeads, listLeads } from './list-leads'
export type { AssignmentRuleRow } from './manage-assignment-rules'
export {
  createAssignmentRule,
  deleteAssignmentRule,
  listAssignmentRules,
  updateAssignmentRule,
} from './manage-assignment-rules'
export {
  type CampaignDto,
  createCampaign,
  listCampaigns,
  setCampaignCost,
  updateCampaign,
} from './manage-campaigns'
export {
  type ChannelDto,
  createChannel,
  listChannels,
  rotateChannelSecret,
  updateChannel,
} from './manage-channels'
export { markLeadInvalid } from './mark-lead-invalid'
export { mergeLeads } from './merge-leads'
export { parseLeadText } from './parse-lead-text'
export { MAX_LEADS_PER_PUSH, receiveIntake } from './receive-intake'
export { chinaDay } from './rollup'
export { runLeadTimer, type TimerOutcome } from './run-lead-timer'
export { deleteSavedView, listSavedViews, type SavedViewDto, saveView } from './saved-views'
export * from './schemas'
export { sendLeadNotice } from './send-lead-notice'
export { setLeadStatus } from './set-lead-status'
export { DEFAULT_LEAD_SETTINGS, invalidReasonIn, type LeadSettings } from './settings'
export { findFormChannel, submitFormLead } from './submit-form-lead'
export { transferLead } from './transfer-lead'
export { getLeadSettings, updateLeadSettings } from './update-lead-settings'
