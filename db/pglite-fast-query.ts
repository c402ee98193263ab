import {
  type messages,
  type PGlite,
  parse,
  protocol,
  type QueryOptions,
  type Results,
  types,
} from '@electric-sql/pglite'

/**
 * Statements on the embedded database as named prepared statements, one call into PGlite each.
 *
 * `PGlite.query` sends every statement as six separate protocol calls into the WebAssembly backend (parse,
 * describe the statement for its parameter types, bind, describe the portal, execute, sync) and plans it
 * afresh: ~0.3 ms of this process's one thread per statement before any work, which is most of what a card
 * tap costs on the embedded database. Here a statement text is parsed once under its own name, with its
 * parameter types (what PGlite's serializers need) kept; every later run is one buffer — bind, describe,
 * execute, sync — sent in one call. Values are serialized and results parsed exactly as `PGlite.query`
 * does, with the same type tables, so callers see no difference; but the answer is read by `readResult`
 * below, not PGlite's `parseResults`, which copies the instance's whole parser table (~320 types, arrays
 * included) into a new object on every call that passes `parsers` (drizzle passes them on every statement)
 * and builds each row with `Object.fromEntries`: a fifth of the embedded product's busy time at saturation.
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
    return readResult<T>(messages, this.client.parsers, options)
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

type Parser = (value: string, typeId: number) => unknown
type ParserTable = Record<number | string, Parser>

/**
 * The first result set of one statement's answer (bind, describe, execute, sync), as
 * `parse.parseResults(messages, parsers, options)[0]` gives it: the parser of each column is looked up once
 * per statement (the options' table first, then the instance's, then PGlite's defaults), not per value out
 * of a merged copy of both tables; object rows are built by assignment in column order (same keys, same
 * order, a repeated name keeps its last value, as with `Object.fromEntries`).
 */
export function readResult<T>(
  answer: ReadonlyArray<messages.BackendMessage>,
  instanceParsers: ParserTable,
  options?: QueryOptions,
): Results<T> {
  const extra = options?.parsers as ParserTable | undefined
  const arrayMode = options?.rowMode === 'array'
  let fields: Array<{ name: string; dataTypeID: number }> = []
  let parsers: Array<Parser | undefined> = []
  let byAssignment = true
  const rows: unknown[] = []
  for (const message of answer) {
    switch (message.name) {
      case 'rowDescription': {
        fields = (message as messages.RowDescriptionMessage).fields.map((f) => ({
          name: f.name,
          dataTypeID: f.dataTypeID,
        }))
        parsers = fields.map(({ dataTypeID: t }) => {
          const own = extra && t in extra ? extra[t] : instanceParsers[t]
          return own ?? (types.parsers as ParserTable)[t]
        })
        // `row.__proto__ = v` would set the prototype, not a key: such a statement takes the slow way.
        byAssignment = fields.every((f) => f.name !== '__proto__')
        break
      }
      case 'dataRow': {
        const values = (message as messages.DataRowMessage).fields
        if (arrayMode) {
          const row = new Array<unknown>(values.length)
          for (let i = 0; i < values.length; i++) row[i] = parseValue(values[i], fields[i], parsers[i])
          rows.push(row)
        } else if (byAssignment) {
          const row: Record<string, unknown> = {}
          for (let i = 0; i < values.length; i++) {
            const field = fields[i] as { name: string; dataTypeID: number }
            row[field.name] = parseValue(values[i], field, parsers[i])
          }
          rows.push(row)
        } else {
          rows.push(
            Object.fromEntries(values.map((v, i) => [fields[i]?.name, parseValue(v, fields[i], parsers[i])])),
          )
        }
        break
      }
      case 'commandComplete': {
        const parts = (message as messages.CommandCompleteMessage).text.split(' ')
        const command = parts[0] as string
        const rowCount = Number.parseInt(parts[parts.length - 1] as string, 10)
        const counted = ['INSERT', 'UPDATE', 'DELETE', 'COPY', 'MERGE'].includes(command)
        const result: Results<T> = {
          rows: rows as T[],
          fields,
          command,
          affectedRows: counted ? rowCount : 0,
        } as Results<T>
        if (!Number.isNaN(rowCount)) (result as { rowCount?: number }).rowCount = rowCount
        return result
      }
    }
  }
  return { affectedRows: 0, rows: [], fields: [] }
}

function parseValue(
  value: string | null | undefined,
  field: { dataTypeID: number } | undefined,
  parser: Parser | undefined,
): unknown {
  if (value === null || value === undefined) return null
  return parser ? parser(value, field?.dataTypeID ?? 0) : value
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
