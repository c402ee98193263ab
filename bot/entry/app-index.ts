import type { Env } from '../env'

const escapeAttr = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)

/**
 * The mini-app's index.html with the runtime settings it reads from `<meta>` tags (Feishu app id, browser
 * login URL, DingTalk corp and client ids). Runtime-neutral: the Node entry reads the file from disk, the Workers entry from its assets.
 */
export function appIndexHtml(html: string, env: Env): string {
  const metas = [
    env.FEISHU_APP_ID
      ? `<meta name="flowcard-feishu-app-id" content="${escapeAttr(env.FEISHU_APP_ID)}">`
      : '',
    env.FEISHU_APP_ID
      ? '<meta name="flowcard-browser-login-url" content="/api/v1/auth/feishu/authorize">'
      : '',
    env.DINGTALK_CORP_ID
      ? `<meta name="flowcard-dingtalk-corp-id" content="${escapeAttr(env.DINGTALK_CORP_ID)}">`
      : '',
    env.DINGTALK_CLIENT_ID
      ? `<meta name="flowcard-dingtalk-client-id" content="${escapeAttr(env.DINGTALK_CLIENT_ID)}">`
      : '',
  ].join('')
  return html.replace('</head>', `${metas}</head>`)
}
