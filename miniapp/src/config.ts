/** Settings the app reads at start-up: `<meta>` tags the bot writes into index.html, then build-time env. */
export interface RuntimeConfig {
  feishuAppId: string | null
  feishuJssdkUrl: string
  /** DingTalk: the organisation's corp id (free login needs it) and the app's client id (AppKey). */
  dingtalkCorpId: string | null
  dingtalkClientId: string | null
  dingtalkJsapiUrl: string
  browserLoginUrl: string | null
  apiBaseUrl: string
}

/** The Feishu H5 JSSDK; it defines `window.h5sdk` and `window.tt` only inside the Feishu/Lark client. */
export const DEFAULT_FEISHU_JSSDK_URL = 'https://lf1-cdn-tos.bytegoofy.com/goofy/lark/op/h5-js-sdk-1.5.33.js'

/** dingtalk-jsapi (defines `window.dd`), for a DingTalk web view that has not injected it. */
export const DEFAULT_DINGTALK_JSAPI_URL = 'https://g.alicdn.com/dingding/dingtalk-jsapi/3.0.25/dingtalk.open.js'

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
    dingtalkCorpId: meta(doc, 'flowcard-dingtalk-corp-id'),
    dingtalkClientId: meta(doc, 'flowcard-dingtalk-client-id'),
    dingtalkJsapiUrl: meta(doc, 'flowcard-dingtalk-jsapi-url') ?? DEFAULT_DINGTALK_JSAPI_URL,
    browserLoginUrl: meta(doc, 'flowcard-browser-login-url') ?? envValue(env.VITE_BROWSER_LOGIN_URL),
    apiBaseUrl: (envValue(env.VITE_API_BASE_URL) ?? '').replace(/\/+$/, ''),
  }
}
