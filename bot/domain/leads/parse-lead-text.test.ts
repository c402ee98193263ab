import { describe, expect, it } from 'vitest'
import { parseLeadText } from './parse-lead-text'

describe('parseLeadText', () => {
  it('reads name, phone, company and need from the chat line', () => {
    expect(parseLeadText('张三 13800000000 华为 想了解报价')).toEqual({
      name: '张三',
      phone: '13800000000',
      email: null,
      company: '华为',
      message: '想了解报价',
    })
  })

  it('finds the phone and email anywhere, with full-width separators', () => {
    expect(parseLeadText('李四，li@example.com，阿里巴巴，138-0000-1234')).toMatchObject({
      name: '李四',
      email: 'li@example.com',
      phone: '138-0000-1234',
      company: '阿里巴巴',
    })
  })

  it('needs at least a name', () => {
    expect(parseLeadText('  13800000000 ')).toBeNull()
  })
})
