import type { paths } from './schema'
import { api, type Schemas, unwrap } from './typed'

/** Response shapes of the lead API (`bot/http/routes/leads-schemas.ts`). */
export type Lead = Schemas['Lead']
export type LeadStatus = Lead['status']
export type SlaState = Lead['slaState']
export type LeadDetail = Schemas['LeadDetail']
export type LeadFollowUp = Schemas['LeadFollowUp']
export type LeadChannel = Schemas['LeadChannel']
export type LeadCampaign = Schemas['LeadCampaign']
export type ChannelAnalysis = Schemas['ChannelAnalysis']
export type AnalysisRow = ChannelAnalysis['total']
export type SavedView = Schemas['LeadSavedView']
export type CreateLeadResult = Schemas['CreateLeadResult']

type Json<P extends keyof paths, M extends 'post' | 'put' | 'patch'> = paths[P][M] extends {
  requestBody?: { content: { 'application/json': infer B } }
}
  ? B
  : never

export type LeadQuery = NonNullable<paths['/api/v1/crm/leads']['get']['parameters']['query']>
export type AnalysisQuery = paths['/api/v1/crm/channels/analysis']['get']['parameters']['query']
export type LeadCreate = Json<'/api/v1/crm/leads', 'post'>
export type LeadConvert = Json<'/api/v1/crm/leads/{id}/convert', 'post'>
export type LeadFollowUpInput = Json<'/api/v1/crm/leads/{id}/follow-ups', 'post'>
export type ChannelCreate = Json<'/api/v1/crm/channels', 'post'>
export type ChannelPatch = Json<'/api/v1/crm/channels/{id}', 'patch'>
export type CampaignCreate = Json<'/api/v1/crm/campaigns', 'post'>
export type CampaignPatch = Json<'/api/v1/crm/campaigns/{id}', 'patch'>

const path = (id: string) => ({ params: { path: { id } } })

export const listLeads = (query: LeadQuery, signal?: AbortSignal) =>
  unwrap(api().GET('/api/v1/crm/leads', { params: { query }, signal }))
export const getLead = (id: string, signal?: AbortSignal) =>
  unwrap(api().GET('/api/v1/crm/leads/{id}', { ...path(id), signal }))
export const createLead = (body: LeadCreate) => unwrap(api().POST('/api/v1/crm/leads', { body }))
export const acceptLead = (id: string) => unwrap(api().POST('/api/v1/crm/leads/{id}/accept', path(id)))
export const claimLead = (id: string) => unwrap(api().POST('/api/v1/crm/leads/{id}/claim', path(id)))
export const transferLead = (id: string, toUserId: string) =>
  unwrap(api().POST('/api/v1/crm/leads/{id}/transfer', { ...path(id), body: { toUserId } }))
export const markLeadInvalid = (id: string, reason: string) =>
  unwrap(api().POST('/api/v1/crm/leads/{id}/invalid', { ...path(id), body: { reason } }))
export const setLeadStatus = (id: string, status: 'contacted' | 'qualified') =>
  unwrap(api().POST('/api/v1/crm/leads/{id}/status', { ...path(id), body: { status } }))
export const convertLead = (id: string, body: LeadConvert) =>
  unwrap(api().POST('/api/v1/crm/leads/{id}/convert', { ...path(id), body }))
export const listLeadFollowUps = async (id: string, signal?: AbortSignal) =>
  (await unwrap(api().GET('/api/v1/crm/leads/{id}/follow-ups', { ...path(id), signal }))).items
export const addLeadFollowUp = (id: string, body: LeadFollowUpInput) =>
  unwrap(api().POST('/api/v1/crm/leads/{id}/follow-ups', { ...path(id), body }))

export const listChannels = async (signal?: AbortSignal) =>
  (await unwrap(api().GET('/api/v1/crm/channels', { signal }))).items
export const createChannel = (body: ChannelCreate) => unwrap(api().POST('/api/v1/crm/channels', { body }))
export const updateChannel = (id: string, body: ChannelPatch) =>
  unwrap(api().PATCH('/api/v1/crm/channels/{id}', { ...path(id), body }))
export const listCampaigns = async (channelId?: string, signal?: AbortSignal) =>
  (await unwrap(api().GET('/api/v1/crm/campaigns', { params: { query: channelId ? { channelId } : {} }, signal })))
    .items
export const createCampaign = (body: CampaignCreate) => unwrap(api().POST('/api/v1/crm/campaigns', { body }))
export const updateCampaign = (id: string, body: CampaignPatch) =>
  unwrap(api().PATCH('/api/v1/crm/campaigns/{id}', { ...path(id), body }))
export const setCampaignCost = (id: string, month: string, amountCents: number) =>
  unwrap(api().PUT('/api/v1/crm/campaigns/{id}/costs', { ...path(id), body: { month, amountCents } }))

export const analyseChannels = (query: AnalysisQuery, signal?: AbortSignal) =>
  unwrap(api().GET('/api/v1/crm/channels/analysis', { params: { query }, signal }))

export const listSavedViews = async (signal?: AbortSignal) =>
  (await unwrap(api().GET('/api/v1/crm/lead-views', { signal }))).items
export const saveView = (name: string, filters: Record<string, string>) =>
  unwrap(api().POST('/api/v1/crm/lead-views', { body: { name, filters } }))
export const deleteSavedView = (id: string) => unwrap(api().DELETE('/api/v1/crm/lead-views/{id}', path(id)))
