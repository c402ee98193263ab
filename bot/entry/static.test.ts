import { execSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { Hono } from 'hono'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseEnv } from '../env'
import { mountStatic } from './static'

const dist = resolve(process.cwd(), 'miniapp/dist')
const app = new Hono<{ Variables: object }>()
let entry = ''

beforeAll(() => {
  if (!existsSync(resolve(dist, 'index.html')))
    execSync('npx vite build', { cwd: resolve(process.cwd(), 'miniapp'), stdio: 'inherit' })
  mountStatic(app, parseEnv({ LOG_LEVEL: 'silent' }))
  const html = readFileSync(resolve(dist, 'index.html'), 'utf8')
  const src = /<script type="module" crossorigin src="\/app\/(assets\/[^"]+\.js)"/.exec(html)?.[1]
  if (!src) throw new Error('no entry script in miniapp/dist/index.html')
  entry = src
}, 120_000)

const get = (path: string, encoding?: string) =>
  app.request(path, encoding === undefined ? {} : { headers: { 'accept-encoding': encoding } })

describe('the mini-app’s static files', () => {
  it('sends the Brotli twin of a hashed asset to a client that takes br, cached for a year', async () => {
    const res = await get(`/app/${entry}`, 'gzip, deflate, br, zstd')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-encoding')).toBe('br')
    expect(res.headers.get('vary')).toMatch(/accept-encoding/i)
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(res.headers.get('content-type')).toMatch(/javascript/)
    const body = Buffer.from(await res.arrayBuffer())
    const original = readFileSync(resolve(dist, entry))
    expect(Number(res.headers.get('content-length'))).toBe(body.length)
    expect(body.length).toBeLessThan(original.length / 2)
    expect(brotliDecompressSync(body).equals(original)).toBe(true)
  })

  it('falls back to gzip, then to the plain file, by what the client accepts', async () => {
    const original = readFileSync(resolve(dist, entry))
    const gz = await get(`/app/${entry}`, 'gzip, deflate')
    expect(gz.headers.get('content-encoding')).toBe('gzip')
    expect(gunzipSync(Buffer.from(await gz.arrayBuffer())).equals(original)).toBe(true)

    const plain = await get(`/app/${entry}`)
    expect(plain.headers.get('content-encoding')).toBeNull()
    expect(plain.headers.get('vary')).toMatch(/accept-encoding/i)
    expect(Buffer.from(await plain.arrayBuffer()).equals(original)).toBe(true)
  })

  it('writes compressed twins for every sizeable text asset and none for index.html', () => {
    const files = readdirSync(resolve(dist, 'assets'))
    const text = files.filter((f) => /\.(js|css)$/.test(f))
    const big = text.filter((f) => readFileSync(resolve(dist, 'assets', f)).length >= 1024)
    expect(big.length).toBeGreaterThan(0)
    for (const f of big) {
      expect(files).toContain(`${f}.br`)
      expect(files).toContain(`${f}.gz`)
    }
    expect(existsSync(resolve(dist, 'index.html.br'))).toBe(false)
  })

  it('answers a missing asset with a real 404 and a deep link with index.html, not cached', async () => {
    const missing = await get('/app/assets/nope-123.js', 'br')
    expect(missing.status).toBe(404)
    expect(missing.headers.get('cache-control')).toBeNull()

    const deep = await get('/app/customers/cus_1?from=card', 'br')
    expect(deep.status).toBe(200)
    expect(deep.headers.get('cache-control')).toBe('no-cache')
    expect(await deep.text()).toContain(entry)
  })

  it('serves the page with a CSP that admits its own inline script by hash and no other', async () => {
    const res = await get('/app/')
    const csp = res.headers.get('content-security-policy') ?? ''
    const html = await res.text()
    const inline = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1]
    expect(inline).toBeTruthy()
    const hash = createHash('sha256')
      .update(inline ?? '')
      .digest('base64')
    expect(csp).toContain(`script-src 'self' 'sha256-${hash}'`)
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/)
    expect(csp).toContain("object-src 'none'")
  })
})
