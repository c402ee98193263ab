import { describe, expect, it } from 'vitest'
import { createI18n } from 'vue-i18n'
import { compileMessage } from './compile'

function translator(messages: Record<string, string>) {
  const i18n = createI18n({
    legacy: false,
    locale: 'en-US',
    messages: { 'en-US': messages },
    messageCompiler: compileMessage,
  })
  return i18n.global
}

describe('compileMessage', () => {
  it('fills named and list placeholders', () => {
    const { t } = translator({ hi: '你好，{name}！', list: '{0} and {1}', literal: "{'{'}x{'}'}" })
    expect(t('hi', { name: '张三' })).toBe('你好，张三！')
    expect(t('list', ['a', 'b'])).toBe('a and b')
    expect(t('literal')).toBe('{x}')
  })

  it('leaves text without placeholders untouched and blanks missing values', () => {
    const { t } = translator({ plain: 'Approvals', missing: 'by {name}.' })
    expect(t('plain')).toBe('Approvals')
    expect(t('missing', {})).toBe('by .')
  })

  it('picks plural cases by count', () => {
    const { t } = translator({ todos: 'no to-dos | one to-do | {count} to-dos' })
    expect(t('todos', 0)).toBe('no to-dos')
    expect(t('todos', 1)).toBe('one to-do')
    expect(t('todos', 5)).toBe('5 to-dos')
  })
})
