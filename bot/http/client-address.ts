import type { Context } from 'hono'

/**
 * The address a request came from, for per-address budgets (login, public forms, lead intake).
 *
 * `X-Forwarded-For` / `X-Real-IP` are set by the proxy in front, but anyone can send them: trusted only per
 * `TRUST_PROXY` — `private` (default): when the connection itself comes from a loopback or private address
 * (nginx on the same host or network), never from a client on a public address, who could otherwise spend
 * someone else's budget or dodge their own by making up a header; `true`: always (a CDN in front whose
 * addresses are public); `false`: never. On Workers, Cloudflare's own `CF-Connecting-IP` is the address.
 * In-process requests (no socket: tests, the Workers runtime) count as coming from a trusted hop.
 */
export function clientAddress(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined
  const peer = env?.incoming?.socket?.remoteAddress
  const trust =
    (c.get('deps') as { env?: { TRUST_PROXY?: string } } | undefined)?.env?.TRUST_PROXY ?? 'private'
  if (peer === undefined) {
    const cf = c.req.header('cf-connecting-ip')?.trim()
    if (cf) return cf.slice(0, 64)
  }
  const trusted = trust === 'true' || (trust === 'private' && (peer === undefined || isPrivateAddress(peer)))
  if (trusted) {
    const forwarded =
      c.req.header('x-forwarded-for')?.split(',')[0]?.trim() || c.req.header('x-real-ip')?.trim()
    if (forwarded) return forwarded.slice(0, 64)
  }
  return peer ?? 'local'
}

/** Loopback, private (RFC 1918, CGNAT, IPv6 unique-local) and link-local addresses. */
export function isPrivateAddress(address: string): boolean {
  const a = address.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '')
  const v4 = /^(\d+)\.(\d+)\.\d+\.\d+$/.exec(a)
  if (v4) {
    const [x, y] = [Number(v4[1]), Number(v4[2])]
    return (
      x === 127 ||
      x === 10 ||
      (x === 192 && y === 168) ||
      (x === 172 && y >= 16 && y <= 31) ||
      (x === 169 && y === 254) ||
      (x === 100 && y >= 64 && y <= 127)
    )
  }
  return a === '::1' || /^f[cd][0-9a-f]{2}:/.test(a) || /^fe[89ab][0-9a-f]:/.test(a)
}
