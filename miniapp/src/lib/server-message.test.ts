import { describe, expect, it } from 'vitest'
import { pickServerMessage } from './server-message'

describe('pickServerMessage', () => {
  it('shows a Chinese sentence from the server to a Chinese reader as it is', () => {
    expect(pickServerMessage('客户已存在，负责人 黄丽（华北销售组）', 'zh-CN')).toBe(
      '客户已存在，负责人 黄丽（华北销售组）',
    )
  })

  it('takes the half of a bilingual message in the reader language', () => {
    const message = '冷却期内不能重新领取（至 2026-12-09）/ you lost this customer recently; claim again after 2026-12-09'
    expect(pickServerMessage(message, 'zh-CN')).toBe('冷却期内不能重新领取（至 2026-12-09）')
    expect(pickServerMessage(message, 'en')).toBe('you lost this customer recently; claim again after 2026-12-09')
  })

  it('gives a Chinese reader nothing for an English-only developer sentence, an English reader the sentence', () => {
    expect(pickServerMessage('customer 42 not found', 'zh-CN')).toBeNull()
    expect(pickServerMessage('customer 42 not found', 'en')).toBe('customer 42 not found')
  })

  it('gives nothing for an empty message', () => {
    expect(pickServerMessage('', 'en')).toBeNull()
    expect(pickServerMessage(undefined, 'zh-CN')).toBeNull()
  })
})
