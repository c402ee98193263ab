import { describe, expect, it } from 'vitest'
import { openDatabase } from './client'
import { isEmbedded } from './embedded'

describe('isEmbedded', () => {
  it('tells the embedded database’s handles (both lanes) from its transactions and from other objects', async () => {
    const database = await openDatabase({ dataDir: 'memory://' })
    try {
      expect(isEmbedded(database.db)).toBe(true)
      const background = database.background?.()
      expect(background && isEmbedded(background.db)).toBe(true)
      // A transaction is not a handle: code inside one already shares its session.
      await database.db.transaction(async (tx) => {
        expect(isEmbedded(tx)).toBe(false)
      })
      expect(isEmbedded({})).toBe(false)
    } finally {
      await database.close()
    }
  }, 60_000) // opening PGlite takes seconds when the whole suite shares the cores
})
