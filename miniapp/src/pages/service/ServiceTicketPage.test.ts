import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { createApiClient, installApiClient } from '@/api'
import type { TicketDetail } from '@/api/service'
import { applyLocale, createAppI18n } from '@/i18n'
import { createAppRouter } from '@/router'
import { useSessionStore } from '@/stores/session'
import { fakeFetch, jsonResponse } from '@/testing/http'
import ServiceTicketPage from './ServiceTicketPage.vue'

const photo = (n: number, sig = 's1') => ({
  key: `ten_1/service/pho_${n}.jpg`,
  url: `/api/v1/service/photos/o1.${sig}.pho_${n}.1767225600.sig`,
})

function detail(photos: Array<{ key: string; url: string }>): TicketDetail {
  return {
    canDispatch: false,
    canWork: false,
    timeline: [],
    ticket: {
      id: 'tkt_1',
      number: 'GD-2026-0007',
      subject: '空压机不启动',
      description: '开机后异响',
      channel: 'qr',
      type: '故障',
      priority: 'high',
      status: 'assigned',
      customerId: 'cus_1',
      customerName: '华东精密',
      contactId: null,
      contractId: null,
      productId: null,
      deviceLabel: 'SN-0001',
      reporterName: '王师傅',
      reporterPhone: null,
      ownerId: 'usr_1',
      ownerName: '刘洋',
      photos,
      firstResponseDueAt: null,
      firstRespondedAt: null,
      resolutionDueAt: null,
      resolvedAt: null,
      responseSla: 'pending',
      resolutionSla: 'pending',
      resolutionNote: null,
      rating: null,
      ratingComment: null,
      createdAt: '2026-11-26T02:00:00.000Z',
    } as TicketDetail['ticket'],
  }
}

async function mountWith(answers: TicketDetail[], locale?: 'en') {
  let n = 0
  const { fetch, calls } = fakeFetch(() => jsonResponse(200, answers[Math.min(n++, answers.length - 1)]))
  installApiClient(createApiClient({ baseUrl: 'http://bot.test', fetch, getToken: () => 'tok', onUnauthorized: async () => false }))
  const pinia = createPinia()
  setActivePinia(pinia)
  useSessionStore().setSession({ token: 'tok', expiresAt: new Date(Date.now() + 3_600_000).toISOString(), user: { id: 'usr_1', name: 'x', roles: [] } })
  const router = createAppRouter({ session: { hasValidToken: () => true }, history: createMemoryHistory('/app/') })
  await router.push('/service/tkt_1')
  const i18n = createAppI18n()
  if (locale) await applyLocale(i18n.global, locale, { persist: false })
  const wrapper = mount(ServiceTicketPage, { global: { plugins: [pinia, i18n, router] }, attachTo: document.body })
  await flushPromises()
  return { wrapper, calls }
}

describe('ServiceTicketPage, the ticket photos', () => {
  afterEach(async () => {
    await applyLocale(createAppI18n().global, 'zh-CN', { persist: false })
    installApiClient(null)
    document.body.innerHTML = ''
  })

  it('shows the photos by their signed links and opens them full screen from the one tapped', async () => {
    const { wrapper } = await mountWith([detail([photo(1), photo(2), photo(3)])])
    const shown = wrapper.find('[data-testid="ticket-photos"]')
    expect(shown.attributes('aria-label')).toBe('照片')
    const imgs = shown.findAll('img')
    expect(imgs.map((img) => img.attributes('src'))).toEqual([photo(1).url, photo(2).url, photo(3).url])
    expect(imgs.map((img) => img.attributes('alt'))).toEqual(['照片 1', '照片 2', '照片 3'])
    await wrapper.findAll('.service-ticket-page__photo')[1]?.trigger('click')
    await vi.waitFor(() => expect(document.body.querySelector('.van-image-preview')).not.toBeNull())
    const big = [...document.body.querySelectorAll<HTMLImageElement>('.van-image-preview img')].map((i) => i.getAttribute('src'))
    expect(big).toEqual([photo(1).url, photo(2).url, photo(3).url])
    expect(document.body.querySelector('.van-image-preview__index')?.textContent?.trim()).toBe('2 / 3')
  })

  it('labels the photos in English when the app is in English', async () => {
    const { wrapper } = await mountWith([detail([photo(1)])], 'en')
    const shown = wrapper.find('[data-testid="ticket-photos"]')
    expect(shown.attributes('aria-label')).toBe('Photos')
    expect(shown.find('img').attributes('alt')).toBe('Photo 1')
  })

  it('shows no photo strip for a ticket without photos', async () => {
    const { wrapper } = await mountWith([detail([])])
    expect(wrapper.find('[data-testid="ticket-title"]').text()).toContain('GD-2026-0007')
    expect(wrapper.find('[data-testid="ticket-photos"]').exists()).toBe(false)
  })

  it('fetches fresh links once when a signed link has expired', async () => {
    const { wrapper, calls } = await mountWith([detail([photo(1, 'old')]), detail([photo(1, 'new')])])
    expect(calls).toHaveLength(1)
    await wrapper.find('.service-ticket-page__photo img').trigger('error')
    await flushPromises()
    expect(calls).toHaveLength(2)
    expect(wrapper.find('[data-testid="ticket-photos"] img').attributes('src')).toBe(photo(1, 'new').url)
    // A second failure does not loop.
    await wrapper.find('.service-ticket-page__photo img').trigger('error')
    await flushPromises()
    expect(calls).toHaveLength(2)
  })
})
