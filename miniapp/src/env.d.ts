/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Feishu/Lark app id (cli_…); a `<meta name="flowcard-feishu-app-id">` set by the bot wins. */
  readonly VITE_FEISHU_APP_ID?: string
  /** Feishu H5 JSSDK URL; a `<meta name="flowcard-feishu-jssdk-url">` wins. */
  readonly VITE_FEISHU_JSSDK_URL?: string
  /** Sign-in URL for plain browsers; a `<meta name="flowcard-browser-login-url">` wins. */
  readonly VITE_BROWSER_LOGIN_URL?: string
  /** Origin of the bot's API when it is not the app's own origin (empty: same origin). */
  readonly VITE_API_BASE_URL?: string
}

interface ImportMeta {
  readonly env: ImportMetaEnv
}
