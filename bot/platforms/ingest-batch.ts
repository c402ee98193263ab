import { sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import type { InboundEvent } from '../chat/model'
import { dedupeKeys, INBOUND_EVENT } from './ingest'

/**
 * Group commit for {@link ingestEvent}: events arriving in the same turn of the event loop, or while a write
 * is in flight, are recorded together in the next statement, so under load one round trip and one WAL flush
 * serve many webhook acks, and at low load an event is written at the end of its turn (`setImmediate`, no
 * timer). The turn matters on the embedded database: its statements finish without ever leaving this
 * thread, so "while a write is in flight" never happens there, and without waiting for the turn's other
 * requests (a loaded server reads dozens of sockets per turn) every event was its own statement. Same guarantees as `ingestEvent`: each event's dedupe keys
 * and its outbox row are written by one statement, all or nothing; `false` means a redelivery.
 */
export interface IngestBatcherOptions {
  /** Events per statement (default 256). */
  maxBatch?: number
  /** Statements in flight at once (default 2: fewer, bigger batches measured faster than more, smaller). */
  maxInFlight?: number
  /** Called for each event recorded as new (metrics: events by platform and kind). */
  onAccepted?: (event: InboundEvent) => void
}

interface Pending {
  event: InboundEvent
  keys: string[]
  resolve: (fresh: boolean) => void
  reject: (err: unknown) => void
}

export class IngestBatcher {
  private readonly queue: Pending[] = []
  private inFlight = 0
  private scheduled = false
  private readonly maxBatch: number
  private readonly maxInFlight: number
  private readonly onAccepted: ((event: InboundEvent) => void) | undefined

  constructor(
    private readonly db: DbOrTx,
    options: IngestBatcherOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 256
    this.maxInFlight = options.maxInFlight ?? 2
    this.onAccepted = options.onAccepted
  }

  /** Records an event durably once; resolves after its statement committed. */
  ingest = (event: InboundEvent): Promise<boolean> =>
    new Promise<boolean>((resolve, reject) => {
      this.queue.push({ event, keys: dedupeKeys(event), resolve, reject })
      if (this.scheduled) return
      this.scheduled = true
      setImmediate(() => {
        this.scheduled = false
        this.pump()
      })
    })

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch)
      this.inFlight++
      void this.flush(batch).finally(() => {
        this.inFlight--
        this.pump()
      })
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    // A key twice in one batch: the later event is a redelivery of the earlier one.
    const claimed = new Set<string>()
    const write: Pending[] = []
    for (const p of batch) {
      const ks = p.keys.map((k) => `${p.event.platform}:${k}`)
      if (ks.some((k) => claimed.has(k))) {
        p.resolve(false)
        continue
      }
      for (const k of ks) claimed.add(k)
      write.push(p)
    }
    if (write.length === 0) return
    try {
      const accepted = await this.write(write)
      for (const [i, p] of write.entries()) {
        const fresh = accepted.has(i)
        if (fresh) this.onAccepted?.(p.event)
        p.resolve(fresh)
      }
    } catch (err) {
      for (const p of write) p.reject(err)
    }
  }

  /**
   * One statement of fixed text (the batch travels as a single JSON parameter), so the driver prepares it
   * once: keys inserted with ON CONFLICT DO NOTHING, and an outbox row for each event whose keys were all new.
   */
  private async write(batch: Pending[]): Promise<Set<number>> {
    const e: Array<{ idx: number; payload: unknown }> = []
    const k: Array<{
      idx: number
      platform: string
      event_id: string
      tenant_key: string
      event_type: string
    }> = []
    batch.forEach((p, idx) => {
      e.push({ idx, payload: { event: p.event } })
      for (const key of p.keys) {
        k.push({
          idx,
          platform: p.event.platform,
          event_id: key,
          tenant_key: p.event.tenantKey,
          event_type: p.event.kind,
        })
      }
    })
    const result = await this.db.execute(sql`
      with input as (select ${JSON.stringify({ e, k })}::jsonb as j),
      k as (
        select x.* from input, jsonb_to_recordset(input.j -> 'k')
          as x(idx int, platform text, event_id text, tenant_key text, event_type text)
      ),
      e as (select x.* from input, jsonb_to_recordset(input.j -> 'e') as x(idx int, payload jsonb)),
      ins as (
        insert into inbound_events (platform, event_id, tenant_key, event_type)
        select platform, event_id, tenant_key, event_type from k
        on conflict do nothing
        returning platform, event_id
      ),
      ok as (
        select e.idx, e.payload from e
        where not exists (
          select 1 from k where k.idx = e.idx
            and not exists (select 1 from ins where ins.platform = k.platform and ins.event_id = k.event_id))
      ),
      out as (
        insert into outbox (tenant_id, topic, payload)
        select null, ${INBOUND_EVENT}, payload from ok order by idx
        returning 1
      )
      select ok.idx from ok, (select count(*) from out) c`)
    const rows = Array.isArray(result)
      ? (result as Array<{ idx: number }>)
      : ((result as { rows?: Array<{ idx: number }> }).rows ?? [])
    return new Set(rows.map((r) => Number(r.idx)))
  }
}
