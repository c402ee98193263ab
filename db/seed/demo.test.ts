import { describe, expect, it } from 'vitest'
import { PERMISSIONS } from '../../bot/domain/org'
import { demoOrg } from './demo'

describe('demo roles', () => {
  it('grant only names of the permissions catalogue (or a family of them)', () => {
    const names = Object.keys(PERMISSIONS)
    const unknown = demoOrg.roles.flatMap((r) =>
      (r.permissions ?? []).filter((p) =>
        p.endsWith('.*') ? !names.some((n) => n.startsWith(p.slice(0, -1))) : !names.includes(p),
      ),
    )
    expect(unknown).toEqual([])
  })
})
