import { cpSync, mkdtempSync, rmSync } from 'node:fs'
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }
const c0 = cpu(), w0 = performance.now()
const { PGlite } = await import('@electric-sql/pglite')
const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm')
const c1 = cpu(), w1 = performance.now()
const d = mkdtempSync('/tmp/ops-pg-')
cpSync(process.argv[2], d, { recursive: true })
const c2 = cpu(), w2 = performance.now()
const extra = process.env.SP ? process.env.SP.split(' ').flatMap((x) => ['-c', x]) : []
const c = await PGlite.create(d, { extensions: { pg_trgm }, ...(extra.length ? { startParams: [...PGlite.defaultStartParams, ...extra] } : {}) })
if (process.env.SHOW) console.log((await c.query('show shared_buffers')).rows)
const c3 = cpu(), w3 = performance.now()
await c.query('select 1')
const c4 = cpu(), w4 = performance.now()
await c.close()
const c5 = cpu(), w5 = performance.now()
console.log(`import cpu ${Math.round(c1-c0)} wall ${Math.round(w1-w0)} | copy cpu ${Math.round(c2-c1)} wall ${Math.round(w2-w1)} | create cpu ${Math.round(c3-c2)} wall ${Math.round(w3-w2)} | q ${Math.round(c4-c3)} | close cpu ${Math.round(c5-c4)} wall ${Math.round(w5-w4)} | proc start ${Math.round(w0)}`)
if (!process.env.KEEP) rmSync(d, { recursive: true })
