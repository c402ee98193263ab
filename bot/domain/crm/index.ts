/** The crm area's public surface: what code outside bot/domain/crm/ may import. */
export { loadCrmAccess } from './access'
export { addContact, type ContactRow, listContacts } from './add-contact'
export { addVisitPhoto } from './add-visit-photo'
export { assignCustomer } from './assign-customer'
export { checkInVisit } from './check-in-visit'
export { checkOutVisit } from './check-out-visit'
export { claimCustomer } from './claim-customer'
export { createCustomer } from './create-customer'
export { createFollowUp, FOLLOW_UP_REMINDER, type FollowUpRow, listFollowUps } from './create-follow-up'
export type { CustomFieldDef } from './custom-fields'
export { defineCustomField, listCustomFields } from './define-custom-field'
export type { CustomerDto } from './dto'
export { exportRecords } from './export-records'
export { extendReclaim } from './extend-reclaim'
export { type CustomerElsewhere, findCustomersElsewhere } from './find-customers-elsewhere'
export { getCustomer } from './get-customer'
export { type CustomerCard, getCustomerCard, type TimelineEntry } from './get-customer-card'
export { type CustomerSummary, getCustomerSummary } from './get-customer-summary'
export { type FieldChange, getFieldHistory } from './get-field-history'
export { getVisitPhoto } from './get-visit-photo'
export { listVisits } from './list-visits'
export { type NearbyCustomer, nearbyCustomers } from './nearby-customers'
export { planVisit } from './plan-visit'
export { getRelationGraph, linkCustomers, type RelationEdge, type RelationGraph } from './relations'
export { releaseCustomer } from './release-customer'
export { type CrmRules, loadRules } from './rules'
export { runImport } from './run-import'
export { scanPool, tenantsWithPoolWork } from './scan-pool'
export {
  assignInput,
  checkInInput,
  checkOutInput,
  contactInput,
  createCustomerInput,
  customFieldDefInput,
  followUpInput,
  nearbyInput,
  planVisitInput,
  relationInput,
  rulesInput,
  searchInput,
  updateCustomerInput,
} from './schemas'
export { type CustomerHit, searchCustomers } from './search-customers'
export { buildSearch, normaliseCompanyName } from './search-text'
export { sendFollowUpReminder } from './send-follow-up-reminder'
export { getImportJob, IMPORT_RUN, type ImportJobDto, MAX_IMPORT_BYTES, startImport } from './start-import'
export { getCrmRules, updateCrmRules } from './update-crm-rules'
export { updateCustomer } from './update-customer'
export { followUpReminderView, poolWarningView } from './views'
export { type VisitMap, visitMap, visitMapInput } from './visit-map'
export type { VisitDto } from './visits'
