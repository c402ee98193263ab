export { ensurePaymentTemplate, PAYMENT_TEMPLATE_KEY, paymentApprovalTemplate } from './approval-template'
export { assessCustomerValues, overrideCustomerTier, scoreCustomer, type Tier } from './assess-customer-value'
export {
  type ContractReceivables,
  type CustomerReceivables,
  getContractReceivables,
  getCustomerReceivables,
} from './get-receivables'
export { type InvoiceDto, listInvoices, requestInvoice, setInvoiceStatus } from './invoices'
export { getOverdueReminder, type OverdueReminder } from './overdue-reminder'
export {
  applyPaymentApprovalOutcome,
  getPaymentRequest,
  listPaymentRequests,
  type PaymentRequestDto,
  type RegisteredPayment,
  registerPayment,
} from './payment-requests'
export {
  chinaDay,
  type InstalmentStatus,
  type InstalmentView,
  instalmentStatus,
  loadReceivables,
  type Receivables,
} from './receivables'
export {
  CUSTOMER_VALUE_REFRESH,
  type PaymentDto,
  type RecordedPayment,
  recordPayment,
  toPaymentDtos,
} from './record-payment'
export { OVERDUE_REMIND_EVERY_MS, PAYMENT_OVERDUE, scanOverdue, tenantsWithOverdue } from './scan-overdue'
export * from './schemas'
export { setInstalmentPlan } from './set-instalment-plan'
