import { api, type Schemas, unwrap } from './typed'
import type { paths } from './schema'

export type NoticeListItem = Schemas['NoticeListItem']
export type NoticeDetail = Schemas['NoticeDetail']
export type NoticeDashboard = Schemas['NoticeDashboard']
export type NewsArticle = Schemas['NewsArticle']
export type Notice = Schemas['Notice']
export type NoticeListQuery = NonNullable<paths['/api/v1/notices']['get']['parameters']['query']>
export type CreateNoticeBody = NonNullable<paths['/api/v1/notices']['post']['requestBody']>['content']['application/json']
export type NoticeCategory = NonNullable<NoticeListQuery['category']>

export function listNotices(query: NoticeListQuery, signal?: AbortSignal) {
  return unwrap(api().GET('/api/v1/notices', { params: { query }, signal }))
}

/** Opening a notice marks it read for a recipient. */
export function getNotice(id: string, signal?: AbortSignal) {
  return unwrap(api().GET('/api/v1/notices/{id}', { params: { path: { id } }, signal }))
}

export function acknowledgeNotice(id: string) {
  return unwrap(api().POST('/api/v1/notices/{id}/ack', { params: { path: { id } } }))
}

export function createNotice(body: CreateNoticeBody) {
  return unwrap(api().POST('/api/v1/notices', { body }))
}

export function publishNotice(id: string) {
  return unwrap(api().POST('/api/v1/notices/{id}/publish', { params: { path: { id } } }))
}

/** Schedules (or moves) the publish time of a draft or scheduled notice; must be in the future. */
export function scheduleNotice(id: string, scheduledAt: string) {
  return unwrap(api().POST('/api/v1/notices/{id}/schedule', { params: { path: { id } }, body: { scheduledAt } }))
}

/** Retracts a published notice: every delivered card turns into "已撤回". */
export function retractNotice(id: string) {
  return unwrap(api().POST('/api/v1/notices/{id}/retract', { params: { path: { id } } }))
}

export function getNoticeDashboard(id: string, signal?: AbortSignal) {
  return unwrap(api().GET('/api/v1/notices/{id}/dashboard', { params: { path: { id }, query: { withPeople: 'true' } }, signal }))
}

export function remindNotice(id: string) {
  return unwrap(api().POST('/api/v1/notices/{id}/remind', { params: { path: { id } } }))
}

export function listNews(signal?: AbortSignal) {
  return unwrap(api().GET('/api/v1/news', { params: { query: { limit: 50 } }, signal }))
}

export function getNews(id: string, signal?: AbortSignal) {
  return unwrap(api().GET('/api/v1/news/{id}', { params: { path: { id } }, signal }))
}
