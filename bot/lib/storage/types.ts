/**
 * Where binary files (visit photos, import files) live. A small port with a local-disk implementation
 * (`bot/entry/storage-local.ts`, Node) and an in-memory one for tests; an S3-compatible store can implement
 * the same three methods.
 */
export interface BlobStorage {
  readonly kind: string
  put(key: string, data: Uint8Array, contentType: string): Promise<void>
  get(key: string): Promise<{ data: Uint8Array; contentType: string } | null>
  delete(key: string): Promise<void>
}

/** Keeps blobs in a Map: tests and runtimes without a disk. */
export function createMemoryStorage(): BlobStorage {
  const blobs = new Map<string, { data: Uint8Array; contentType: string }>()
  return {
    kind: 'memory',
    async put(key, data, contentType) {
      blobs.set(key, { data, contentType })
    },
    async get(key) {
      return blobs.get(key) ?? null
    },
    async delete(key) {
      blobs.delete(key)
    },
  }
}

/** Keys are `tenant/area/…` paths of safe characters only. */
export const SAFE_KEY = /^[a-z0-9_]+(\/[A-Za-z0-9_.-]+)+$/
