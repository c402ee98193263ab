import { type PGlite, parse, protocol, type QueryOptions, type Results } from '@electric-sql/pglite'

/**
 * Statements on the embedded database as named prepared statements, one call into PGlite each.
 *
 * `PGlite.query` sends every statement as six separate protocol calls into the WebAssembly backend (parse,
 * describe the statement for its parameter types, bind, describe the portal, execute, sync) and plans it
 * afresh: ~0.3 ms of this process's one thread per statement before any work, which is most of what a card
 * tap costs on the embedded database. Here a statement text is parsed once under its own name, with its
 * parameter types (what PGlite's serializers need) kept; every later run is one buffer — bind, describe,
 * execute, sync — sent in one call, its answer read with PGlite's own result parser. Values are serialized
 * and results parsed exactly as `PGlite.query` does, with the same type tables, so callers see no difference.
 *
 * A statement whose plan the backend threw away (a migration changed a table it reads: `0A000`, or the
 * name is unknown: `26000`) is forgotten and prepared afresh on its next run. Beyond `limit` texts, new ones
 * take the plain path (dynamic SQL must not grow the backend's memory without bound).
 */
export class FastQueries {
  private readonly prepared = new Map<string, { name: string; types: number[] }>()
  private seq = 0

  constructor(
    private readonly client: PGlite,
    private readonly limit = 4000,
  ) {}

  /** What `client.query(text, params, options)` answers; `inTransaction` skips the sync to the file system. */
  async query<T>(text: string, params: unknown[] = [], options?: QueryOptions): Promise<Results<T>> {
    if (options?.blob || options?.paramTypes) return this.client.query<T>(text, params, options)
    let statement = this.prepared.get(text)
    if (!statement) {
      if (this.prepared.size >= this.limit) return this.client.query<T>(text, params, options)
      statement = await this.prepare(text)
    }
    const { name, types } = statement
    const values = params.map((value, i) => {
      if (value === null || value === undefined) return null
      const type = types[i] ?? 0
      const serializer = options?.serializers?.[type] ?? this.client.serializers[type]
      return serializer ? serializer(value) : String(value)
    })
    const s = protocol.serialize
    const message = concat([
      s.bind({ statement: name, values }),
      s.describe({ type: 'P' }),
      s.execute({}),
      s.sync(),
    ])
    const messages = await this.client
      .runExclusive(() => this.client.execProtocolStream(message, { syncToFs: false }))
      .catch((error: unknown) => {
        const code = (error as { code?: string }).code
        if (code === '0A000' || code === '26000') this.forget(text)
        throw Object.assign(error as object, { query: text, params, queryOptions: options })
      })
    if (!this.client.isInTransaction()) await this.client.syncToFs()
    return parse.parseResults(messages, this.client.parsers, options)[0] as Results<T>
  }

  private async prepare(text: string): Promise<{ name: string; types: number[] }> {
    const name = `fc_${++this.seq}`
    const s = protocol.serialize
    const messages = await this.client.runExclusive(() =>
      this.client.execProtocolStream(
        concat([s.parse({ name, text }), s.describe({ type: 'S', name }), s.sync()]),
        { syncToFs: false },
      ),
    )
    const statement = { name, types: parse.parseDescribeStatementResults(messages) }
    this.prepared.set(text, statement)
    return statement
  }

  private forget(text: string): void {
    const statement = this.prepared.get(text)
    if (!statement) return
    this.prepared.delete(text)
    // The name is freed after the failed run's sync; closing it is one more message, not worth a round trip
    // now: the next prepare uses a new name.
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
