import { describe, expect, it } from 'vitest'
import { holds } from './use-admin-access'

describe('holds', () => {
  it('reads permission names as the bot does: exact, everything, or a family', () => {
    expect(holds(['org.admin'], 'org.admin')).toBe(true)
    expect(holds(['*'], 'audit.view')).toBe(true)
    expect(holds(['crm.*'], 'crm.manage')).toBe(true)
    expect(holds(['crm.leads.manage'], 'crm.manage')).toBe(false)
    expect(holds(['notices.publish'], 'org.admin')).toBe(false)
    expect(holds(undefined, 'org.admin')).toBe(false)
  })
})
