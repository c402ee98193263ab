export { type OpportunityRow, requireOpportunity, visibleOpportunities } from './access'
export { changeStage } from './change-stage'
export { closeOpportunity } from './close-opportunity'
export { type CloseReason, defineCloseReason, listCloseReasons } from './close-reasons'
export { createOpportunity, resolveStage } from './create-opportunity'
export { defineStageSet } from './define-stage-set'
export { type OpportunityDto, toOpportunityDto, toOpportunityDtos } from './dto'
export { OPPORTUNITY_ASSIGNED, OPPORTUNITY_SLIPPED } from './events'
export { type Forecast, type ForecastRow, getForecast } from './get-forecast'
export {
  getOpportunity,
  getOpportunityHistory,
  type OpportunityDetail,
  type StageVisit,
} from './get-opportunity'
export { type LineItemDto, loadLineItems, resolveLineItems, writeLineItems } from './line-items'
export { listOpportunities } from './list-opportunities'
export { listStageSets } from './list-stage-sets'
export { refreshWinProbabilities } from './refresh-win-probabilities'
export { OPPORTUNITY_STALLED, STALL_DAYS, scanStalled, tenantsWithOpenDeals } from './scan-stalled'
export * from './schemas'
export { ensureSalesDefaults, type StageSetView } from './stage-sets'
export { updateOpportunity } from './update-opportunity'
export { assessDeal, type DealFeatures, MIN_CLOSED, trainWinModel } from './win-model'
