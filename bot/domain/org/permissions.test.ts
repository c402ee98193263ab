import { describe, expect, it } from 'vitest'
import { grants } from './permissions'

describe('grants', () => {
  it('covers a permission by its exact name, by `*`, and by any family above it', () => {
    expect(grants(['crm.leads.manage'], 'crm.leads.manage')).toBe(true)
    expect(grants(['*'], 'org.admin')).toBe(true)
    expect(grants(['crm.*'], 'crm.leads.manage')).toBe(true)
    expect(grants(['crm.leads.*'], 'crm.leads.manage')).toBe(true)
    expect(grants(['notices.*'], 'notices.publish')).toBe(true)
  })

  it('does not cover a sibling or a wider permission', () => {
    expect(grants(['crm.manage'], 'crm.leads.manage')).toBe(false)
    expect(grants(['crm.leads.manage'], 'crm.manage')).toBe(false)
    expect(grants(['reports.view.team'], 'reports.targets.manage')).toBe(false)
    expect(grants([], 'notices.publish')).toBe(false)
    expect(grants(['crm'], 'crm.manage')).toBe(false)
  })
})
