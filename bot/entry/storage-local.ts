import { createReadStream } from 'node:fs'
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, resolve, sep } from 'node:path'
import { Readable } from 'node:stream'
import { assertSafeKey, type BlobStorage } from '../lib/storage/types'

const missing = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'ENOENT'

/** Blobs as files under `root` (default `DATA_DIR/blobs`), with the content type in a side file. */
export function createLocalStorage(root: string): BlobStorage {
  const base = resolve(root)
  const pathOf = (key: string): string => {
    assertSafeKey(key)
    const p = resolve(base, key)
    if (!p.startsWith(base + sep)) throw new Error(`storage key escapes the root: ${key}`)
    return p
  }
  const typeOf = async (p: string): Promise<string | null> => {
    try {
      return await readFile(`${p}.type`, 'utf8')
    } catch (err) {
      if (missing(err)) return null
      throw err
    }
  }
  return {
    kind: 'local',
    async put(key, data, contentType) {
      const p = pathOf(key)
      await mkdir(dirname(p), { recursive: true })
      // Written aside and renamed, so a reader never sees half a file.
      await writeFile(`${p}.type`, contentType)
      await writeFile(`${p}.part`, data)
      await rename(`${p}.part`, p)
    },
    async get(key) {
      const p = pathOf(key)
      try {
        const [data, contentType] = await Promise.all([readFile(p), readFile(`${p}.type`, 'utf8')])
        return { data: new Uint8Array(data), contentType }
      } catch (err) {
        if (missing(err)) return null
        throw err
      }
    },
    async getStream(key) {
      const p = pathOf(key)
      try {
        const [info, contentType] = await Promise.all([stat(p), typeOf(p)])
        if (contentType === null) return null
        const body = Readable.toWeb(createReadStream(p)) as ReadableStream<Uint8Array>
        return { body, contentType, size: info.size }
      } catch (err) {
        if (missing(err)) return null
        throw err
      }
    },
    async head(key) {
      const p = pathOf(key)
      try {
        const [info, contentType] = await Promise.all([stat(p), typeOf(p)])
        return contentType === null ? null : { contentType, size: info.size }
      } catch (err) {
        if (missing(err)) return null
        throw err
      }
    },
    async delete(key) {
      const p = pathOf(key)
      await rm(p, { force: true })
      await rm(`${p}.type`, { force: true })
    },
  }
}
