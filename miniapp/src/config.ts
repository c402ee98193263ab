/** Settings the app reads at start-up: `<meta>` tags the bot writes into index.html, then build-time env. */
export interface RuntimeConfig {
  feishuAppId: string | null
  feishuJssdkUrl: string
  browserLoginUrl: string | null
  apiBaseUrl: string
}

/** The Feishu H5 JSSDK; it defines `window.h5sdk` and `window.tt` only inside the Feishu/Lark client. */
export const DEFAULT_FEISHU_JSSDK_URL = 'https://lf1-cdn-tos.bytegoofy.com/goofy/lark/op/h5-js-sdk-1.5.33.js'

export interface ConfigSources {
  doc: Pick<Document, 'querySelector'>
  env: ImportMetaEnv
}

function meta(doc: ConfigSources['doc'], name: string): string | null {
  const value = doc.querySelector(`meta[name="${name}"]`)?.getAttribute('content')?.trim()
  return value ? value : null
}

function envValue(value: string | undefined): string | null {
  const trimmed = value?.trim()
  return trimmed ? trimmed : null
}

export function readRuntimeConfig({ doc, env }: ConfigSources): RuntimeConfig {
  return {
    feishuAppId: meta(doc, 'flowcard-feishu-app-id') ?? envValue(env.VITE_FEISHU_APP_ID),
    feishuJssdkUrl:
      meta(doc, 'flowcard-feishu-jssdk-url') ??
      envValue(env.VITE_FEISHU_JSSDK_URL) ??
      DEFAULT_FEISHU_JSSDK_URL,
    browserLoginUrl: meta(doc, 'flowcard-browser-login-url') ?? envValue(env.VITE_BROWSER_LOGIN_URL),
    apiBaseUrl: (envValue(env.VITE_API_BASE_URL) ?? '').replace(/\/+$/, ''),
  }
}
