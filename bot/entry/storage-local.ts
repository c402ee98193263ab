import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, resolve, sep } from 'node:path'
import { type BlobStorage, SAFE_KEY } from '../lib/storage/types'

/** Blobs as files under `root` (default `DATA_DIR/blobs`), with the content type in a side file. */
export function createLocalStorage(root: string): BlobStorage {
  const base = resolve(root)
  const pathOf = (key: string): string => {
    if (!SAFE_KEY.test(key) || key.includes('..')) throw new Error(`unsafe storage key ${key}`)
    const p = resolve(base, key)
    if (!p.startsWith(base + sep)) throw new Error(`storage key escapes the root: ${key}`)
    return p
  }
  return {
    kind: 'local',
    async put(key, data, contentType) {
      const p = pathOf(key)
      await mkdir(dirname(p), { recursive: true })
      await writeFile(p, data)
      await writeFile(`${p}.type`, contentType)
    },
    async get(key) {
      const p = pathOf(key)
      try {
        const [data, contentType] = await Promise.all([readFile(p), readFile(`${p}.type`, 'utf8')])
        return { data: new Uint8Array(data), contentType }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
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
