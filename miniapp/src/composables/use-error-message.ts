import { ApiError } from '@/api/errors'
import type { MessageSchema } from '@/i18n/locales/zh-CN'
import { PlatformError } from '@/platform/types'
import { useT } from './use-t'

export interface ErrorDescription {
  message: string
  requestId?: string
}

type KnownCode = keyof MessageSchema['errors']['codes']

const KNOWN_CODES: readonly string[] = [
  'network_error',
  'timeout',
  'invalid_response',
  'unauthenticated',
  'forbidden',
  'not_found',
  'conflict',
  'invalid_input',
  'invalid_transition',
  'rate_limited',
  'unavailable',
] satisfies readonly KnownCode[]

function isKnownCode(code: string): code is KnownCode {
  return KNOWN_CODES.includes(code)
}

/**
 * Turns any thrown value into a sentence for the user, in the current language: the bot's stable error
 * codes map to our own wording (its `message` is for developers); an unknown code shows the bot's text.
 * The request id stays visible so support can find the server log.
 */
export function useErrorMessage() {
  const t = useT()

  function describeError(error: unknown): ErrorDescription {
    if (error instanceof PlatformError) return { message: t(`errors.platform.${error.code}`) }
    if (!(error instanceof ApiError)) return { message: t('errors.generic') }
    const requestId = error.requestId || undefined
    if (isKnownCode(error.code)) return { message: t(`errors.codes.${error.code}`), requestId }
    if (error.status >= 500 || error.code.startsWith('http_')) {
      return { message: t(error.status >= 500 ? 'errors.server' : 'errors.generic'), requestId }
    }
    return { message: error.message || t('errors.generic'), requestId }
  }

  return { describeError }
}
