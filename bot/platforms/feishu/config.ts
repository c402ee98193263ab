import type { Env } from '../../env'

/**
 * The Feishu app's settings from the environment, or null when Feishu is not configured (all four of id,
 * secret, verification token and encrypt key are needed). No SDK import: the Workers entry reads it too.
 */
export interface FeishuEnvConfig {
  appId: string
  appSecret: string
  verificationToken: string
  encryptKey: string
  /** FEISHU_DOMAIN: Feishu, Lark, a private deployment or a test double. */
  domain: string
  publicUrl?: string
}

export function feishuConfigOf(env: Env): FeishuEnvConfig | null {
  if (
    !env.FEISHU_APP_ID ||
    !env.FEISHU_APP_SECRET ||
    !env.FEISHU_VERIFICATION_TOKEN ||
    !env.FEISHU_ENCRYPT_KEY
  )
    return null
  return {
    appId: env.FEISHU_APP_ID,
    appSecret: env.FEISHU_APP_SECRET,
    verificationToken: env.FEISHU_VERIFICATION_TOKEN,
    encryptKey: env.FEISHU_ENCRYPT_KEY,
    domain: env.FEISHU_DOMAIN,
    ...(env.PUBLIC_URL ? { publicUrl: env.PUBLIC_URL } : {}),
  }
}
