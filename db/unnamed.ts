/**
 * Statements starting with this comment run unnamed: one round trip always (Parse, Bind, Execute sent
 * together), where a named one costs two on each pooled connection that has not seen its text yet. For
 * statements of many shapes that are planned per call anyway (the channel analysis: by, period split, scope
 * and filters make dozens of texts of ~8.5 KB, times every pool connection, renewed every half hour or
 * after a minute idle): on the 1M bench with a 36-connection pool a call waited ~20 ms more prepared.
 */
export const UNNAMED_STATEMENT = '/*unnamed*/'
