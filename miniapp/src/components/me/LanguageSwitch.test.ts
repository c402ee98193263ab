import { flushPromises, mount } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { applyLocale, createAppI18n, LOCALE_STORAGE_KEY, readStoredLocale } from '@/i18n'
import LanguageSwitch from './LanguageSwitch.vue'

function mountSwitch() {
  const i18n = createAppI18n()
  const wrapper = mount(LanguageSwitch, { global: { plugins: [i18n] } })
  return { i18n, wrapper }
}

function option(wrapper: ReturnType<typeof mountSwitch>['wrapper'], label: string) {
  const cell = wrapper.findAll('.van-cell').find((candidate) => candidate.text().includes(label))
  if (!cell) throw new Error(`no language option "${label}"`)
  return cell
}

describe('LanguageSwitch', () => {
  beforeEach(() => {
    localStorage.clear()
    document.documentElement.lang = 'zh-CN'
  })

  it('starts in Chinese with Chinese checked', () => {
    const { i18n, wrapper } = mountSwitch()

    expect(i18n.global.locale.value).toBe('zh-CN')
    expect(wrapper.text()).toContain('语言')
    expect(option(wrapper, '简体中文').find('.van-radio__icon--checked').exists()).toBe(true)
  })

  it('switches to English, loading it on demand, and remembers the choice', async () => {
    const { i18n, wrapper } = mountSwitch()

    await option(wrapper, 'English').trigger('click')
    // English is a lazy chunk: the first switch waits for it to load.
    await vi.waitFor(() => expect(i18n.global.locale.value).toBe('en'))
    await flushPromises()

    expect(wrapper.text()).toContain('Language')
    expect(wrapper.text()).not.toContain('语言')
    expect(option(wrapper, 'English').find('.van-radio__icon--checked').exists()).toBe(true)
    expect(localStorage.getItem(LOCALE_STORAGE_KEY)).toBe('en')
    expect(document.documentElement.lang).toBe('en')
  })

  it('switches back to Chinese', async () => {
    const { i18n, wrapper } = mountSwitch()
    await option(wrapper, 'English').trigger('click')
    await vi.waitFor(() => expect(i18n.global.locale.value).toBe('en'))

    await option(wrapper, '简体中文').trigger('click')
    await flushPromises()

    expect(i18n.global.locale.value).toBe('zh-CN')
    expect(wrapper.text()).toContain('语言')
    expect(localStorage.getItem(LOCALE_STORAGE_KEY)).toBe('zh-CN')
  })
})

describe('stored locale', () => {
  beforeEach(() => localStorage.clear())

  it('defaults to Chinese and ignores unknown values', () => {
    expect(readStoredLocale()).toBe('zh-CN')
    localStorage.setItem(LOCALE_STORAGE_KEY, 'fr')
    expect(readStoredLocale()).toBe('zh-CN')
  })

  it('is restored at start-up without being written again', async () => {
    localStorage.setItem(LOCALE_STORAGE_KEY, 'en')
    const i18n = createAppI18n()

    await applyLocale(i18n.global, readStoredLocale(), { persist: false })

    expect(i18n.global.locale.value).toBe('en')
    expect(i18n.global.t('nav.customers')).toBe('Customers')
    expect(i18n.global.t('home.greeting.morning', { name: 'Ann' })).toBe('Good morning, Ann')
  })
})
