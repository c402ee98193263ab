/** Every domain failure has one of these codes; HTTP and chat map them to statuses and plain sentences. */
export type DomainErrorCode =
  | 'not_found'
  | 'forbidden'
  | 'unauthenticated'
  | 'conflict'
  | 'invalid_input'
  | 'invalid_transition'
  | 'rate_limited'
  | 'unavailable'

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details: { field?: string; [key: string]: unknown } = {},
  ) {
    super(message)
    this.name = 'DomainError'
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string, id?: string) {
    super('not_found', id ? `${what} ${id} not found` : `${what} not found`)
    this.name = 'NotFoundError'
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = 'you may not do this') {
    super('forbidden', message)
    this.name = 'ForbiddenError'
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('conflict', message, details)
    this.name = 'ConflictError'
  }
}

export class InvalidInputError extends DomainError {
  constructor(field: string, message: string) {
    super('invalid_input', message, { field })
    this.name = 'InvalidInputError'
  }
}

export class InvalidTransitionError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('invalid_transition', message, details)
    this.name = 'InvalidTransitionError'
  }
}

/** Plain sentences for chat replies, per locale. */
export const chatMessageOf: Record<DomainErrorCode, { 'zh-CN': string; en: string }> = {
  invalid_input: { 'zh-CN': '输入有误', en: 'Invalid input' },
  unauthenticated: { 'zh-CN': '请先登录', en: 'Please sign in first' },
  forbidden: { 'zh-CN': '你没有权限执行此操作', en: 'You are not allowed to do this' },
  not_found: { 'zh-CN': '没有找到该记录', en: 'Not found' },
  conflict: { 'zh-CN': '操作冲突，请刷新后重试', en: 'Conflict: please refresh and retry' },
  invalid_transition: { 'zh-CN': '该事项已被处理', en: 'This item has already been handled' },
  rate_limited: { 'zh-CN': '操作太频繁，请稍后再试', en: 'Too many requests, try again later' },
  unavailable: { 'zh-CN': '服务暂时不可用', en: 'Service temporarily unavailable' },
}
