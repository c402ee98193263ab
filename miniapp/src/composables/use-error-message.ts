import { ApiError } from '@/api/errors'
import type { MessageSchema } from '@/i18n/locales/zh-CN'
import { pickServerMessage } from '@/lib/server-message'
import { PlatformError } from '@/platform/types'
import { useLocale } from './use-locale'
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
 * Turns any thrown value into a sentence for the user, in the current language. The bot's own message is
 * what the user needs ("客户已存在，负责人 黄丽", "冷却期内不能重新领取"), so it is shown whenever the bot sent
 * one the reader can read; the wording for the stable error code is the fallback. Client-made codes
 * (network, timeout) and server failures always use our wording. The request id stays visible for support.
 */
export function useErrorMessage() {
  const t = useT()
  const { locale } = useLocale()

  function describeError(error: unknown): ErrorDescription {
    if (error instanceof PlatformError) return { message: t(`errors.platform.${error.code}`) }
    if (!(error instanceof ApiError)) return { message: t('errors.generic') }
    const requestId = error.requestId || undefined
    const fromClient = error.status === 0 || error.code.startsWith('http_') || error.code === 'invalid_response'
    if (error.status < 500 && !fromClient && error.code !== 'unauthenticated') {
      const server = pickServerMessage(error.message, locale.value)
      if (server) return { message: server, requestId }
    }
    if (isKnownCode(error.code)) return { message: t(`errors.codes.${error.code}`), requestId }
    return { message: t(error.status >= 500 ? 'errors.server' : 'errors.generic'), requestId }
  }

  return { describeError }
}
