/**
 * Where binary files (visit photos, import files) live. A small port with three drivers: local disk
 * (`bot/entry/storage-local.ts`, Node, the default), an S3-compatible object store (`./s3.ts`, selected by the
 * `S3_*` variables; fetch + WebCrypto only, so it runs on Node and Workers alike) and an in-memory one for
 * tests. All three pass one contract suite (`./contract.test.ts`).
 */
export interface BlobStorage {
  readonly kind: string
  put(key: string, data: Uint8Array, contentType: string): Promise<void>
  /** The whole object in memory, or null when it does not exist. */
  get(key: string): Promise<{ data: Uint8Array; contentType: string } | null>
  /** The object as a stream (for answering HTTP requests without buffering), or null when it does not exist. */
  getStream(key: string): Promise<BlobStream | null>
  /** Size and type without the bytes, or null when it does not exist. */
  head(key: string): Promise<BlobInfo | null>
  /** Removes the object; removing an absent one is not an error. */
  delete(key: string): Promise<void>
  /**
   * A time-limited URL that reads the object without a session (stores that can sign one, such as S3).
   * Absent on drivers that cannot: callers serve the bytes through the API instead.
   */
  presignGet?(key: string, expiresInSeconds: number): Promise<string>
}

export interface BlobInfo {
  contentType: string
  size: number
}

export interface BlobStream extends BlobInfo {
  body: ReadableStream<Uint8Array>
}

/** Keys are `tenant/area/…` paths of safe characters only. */
export const SAFE_KEY = /^[a-z0-9_]+(\/[A-Za-z0-9_.-]+)+$/

/** Refuses keys outside {@link SAFE_KEY} (and any `..` segment) before a driver touches them. */
export function assertSafeKey(key: string): void {
  if (!SAFE_KEY.test(key) || key.split('/').includes('..')) throw new Error(`unsafe storage key ${key}`)
}

/** A one-chunk stream over bytes already in memory. */
export function bytesStream(data: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(data)
      controller.close()
    },
  })
}

/** Keeps blobs in a Map: tests and runtimes without a disk. */
export function createMemoryStorage(): BlobStorage {
  const blobs = new Map<string, { data: Uint8Array; contentType: string }>()
  return {
    kind: 'memory',
    async put(key, data, contentType) {
      assertSafeKey(key)
      blobs.set(key, { data: data.slice(), contentType })
    },
    async get(key) {
      assertSafeKey(key)
      return blobs.get(key) ?? null
    },
    async getStream(key) {
      assertSafeKey(key)
      const blob = blobs.get(key)
      if (!blob) return null
      return { body: bytesStream(blob.data), contentType: blob.contentType, size: blob.data.byteLength }
    },
    async head(key) {
      assertSafeKey(key)
      const blob = blobs.get(key)
      return blob ? { contentType: blob.contentType, size: blob.data.byteLength } : null
    },
    async delete(key) {
      assertSafeKey(key)
      blobs.delete(key)
    },
  }
}
