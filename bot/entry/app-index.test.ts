import { describe, expect, it } from 'vitest'
import { parseEnv } from '../env'
import { appIndexHtml } from './app-index'

const html = '<html><head><title>flowcard</title></head><body></body></html>'

describe('appIndexHtml', () => {
  it('writes the platform settings the mini-app reads into <meta> tags, escaped', () => {
    const out = appIndexHtml(
      html,
      parseEnv({
        FEISHU_APP_ID: 'cli_0123456789abcdef',
        FEISHU_APP_SECRET: 's',
        FEISHU_VERIFICATION_TOKEN: 'v',
        FEISHU_ENCRYPT_KEY: 'e',
        DINGTALK_CLIENT_ID: 'ding"app',
        DINGTALK_CLIENT_SECRET: 's',
        DINGTALK_CORP_ID: 'ding_corp_1',
      }),
    )
    expect(out).toContain('<meta name="flowcard-feishu-app-id" content="cli_0123456789abcdef">')
    expect(out).toContain('<meta name="flowcard-dingtalk-corp-id" content="ding_corp_1">')
    expect(out).toContain('<meta name="flowcard-dingtalk-client-id" content="ding&#34;app">')
    expect(out.indexOf('flowcard-dingtalk-corp-id')).toBeLessThan(out.indexOf('</head>'))
  })

  it('adds nothing when no platform is configured', () => {
    expect(appIndexHtml(html, parseEnv({}))).toBe(html)
  })
})
