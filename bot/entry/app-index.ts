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

/** Where the mini-app loads the chat clients' JS bridges from (miniapp/src/config.ts). */
const BRIDGE_SCRIPT_ORIGINS = ['https://lf1-cdn-tos.bytegoofy.com', 'https://g.alicdn.com']

/**
 * The Content-Security-Policy for the mini-app page: scripts only from this origin, the chat clients' bridge
 * hosts and the page's own inline scripts by hash (computed from the served HTML, so a rebuilt page needs no
 * edit here); no plugins, no foreign base or form targets. Styles allow inline (Vant sets style attributes);
 * images may come from any https host (notice images and covers are links).
 */
export async function appContentSecurityPolicy(html: string): Promise<string> {
  const hashes: string[] = []
  for (const m of html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/gi)) {
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(m[1] ?? ''))
    hashes.push(`'sha256-${btoa(String.fromCharCode(...new Uint8Array(digest)))}'`)
  }
  return [
    "default-src 'self'",
    `script-src 'self' ${[...hashes, ...BRIDGE_SCRIPT_ORIGINS].join(' ')}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob: https:",
    "connect-src 'self' https:",
    "font-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
  ].join('; ')
}
