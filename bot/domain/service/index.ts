/** After-sales service (售后/客服工单): tickets, intake, dispatch, SLA, satisfaction. */

export { loadServiceAccess, requireTicket, type ServiceAccess, type TicketRow } from './access'
export { createTicket, openTicket, TICKET_PREFIX } from './create-ticket'
export { draftTicket } from './draft-ticket'
export { receiveExternalTicket } from './external-intake'
export {
  cardData,
  OPEN_STATUSES,
  SERVICE_TIMER,
  type ServiceTimerPayload,
  type ServiceTimerStep,
} from './lifecycle'
export { getTicket, listTickets, type TicketDto, type TicketEventDto, ticketDtos } from './list-tickets'
export {
  createDispatchRule,
  deleteDispatchRule,
  getServiceSettings,
  listDispatchRules,
  updateServiceSettings,
} from './manage-settings'
export {
  MAX_PUBLIC_PHOTOS,
  MAX_TICKET_PHOTO_BYTES,
  sniffImage,
  storeTicketPhotos,
  uploadTicketPhoto,
} from './photos'
export {
  createIntakeCode,
  ensureServiceForm,
  findIntakeCode,
  forgetIntakeCodes,
  INTAKE_CODE_TTL_MS,
  type IntakeCodeDto,
  listIntakeCodes,
  setIntakeCodeActive,
  submitServiceRequest,
} from './public-intake'
export {
  runServiceTimer,
  SCAN_GRACE_MS,
  type ServiceTimerOutcome,
  scanServiceSla,
  tenantsWithOverdueTickets,
} from './run-service-timer'
export { getPublicTicket, type PublicTicketView, rateByToken, rateTicket } from './satisfaction'
export * from './schemas'
export { DEFAULT_SERVICE_SETTINGS, type ServiceSettings } from './settings'
export { type TicketCardData, type TicketCardKind, ticketCardView } from './views'
export { planTicketVisit, visitTimeline } from './visit'
export {
  acceptTicket,
  assignTicket,
  commentTicket,
  requestHelp,
  setTicketPriority,
  setTicketStatus,
} from './work-ticket'
