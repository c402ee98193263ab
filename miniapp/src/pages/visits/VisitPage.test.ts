import 'fake-indexeddb/auto'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { createApiClient, installApiClient } from '@/api'
import { appContextKey } from '@/app-context'
import { createAppI18n } from '@/i18n'
import type { PlatformBridge } from '@/platform/types'
import { createAppRouter } from '@/router'
import { useSessionStore } from '@/stores/session'
import { fakeFetch, jsonResponse } from '@/testing/http'
import VisitPage from './VisitPage.vue'

const photo = (n: number) => ({
  key: `tenants/t1/visits/vis_1/pho_${n}.jpg`,
  name: `pho_${n}.jpg`,
  contentType: 'image/jpeg',
  size: 1000,
  url: `/api/v1/crm/files/f1.sig/pho_${n}.jpg`,
})
const visit = {
  id: 'vis_1',
  customerId: 'cus_1',
  userId: 'usr_rep',
  status: 'checked_out',
  plannedAt: null,
  purpose: null,
  checkInAt: '2026-11-26T02:00:00.000Z',
  checkInLat: 31.2405,
  checkInLng: 121.5007,
  checkInAddress: '上海市浦东新区世纪大道100号',
  checkInDistanceM: 120,
  checkInFlagged: false,
  checkOutAt: '2026-11-26T03:00:00.000Z',
  summary: '谈了续约',
  clientKey: null,
  photos: [photo(1), photo(2)],
  createdAt: '2026-11-26T02:00:00.000Z',
  visitor: { id: 'usr_rep', name: '刘洋' },
}
const card = {
  customer: { id: 'cus_1', name: '华东精密', region: '上海', address: '世纪大道 100 号', lat: 31.2397, lng: 121.4998, owner: null },
  contacts: [],
  followUps: [],
  visits: [visit],
  collaborators: [],
  relations: { nodes: [], edges: [] },
  timeline: [],
  approvals: [],
  contracts: [],
  opportunities: [],
  payments: [],
}

const bridge: PlatformBridge = {
  name: 'devchat',
  getLoginCode: async () => null,
  getLocation: async () => ({ lat: 31.24, lng: 121.5, accuracy: 10 }),
  chooseImages: vi.fn(async () => []),
  close: () => undefined,
}

async function mountAs(userId: string) {
  const { fetch, calls } = fakeFetch(() => jsonResponse(200, card))
  installApiClient(createApiClient({ baseUrl: 'http://bot.test', fetch, getToken: () => 'tok', onUnauthorized: async () => false }))
  const pinia = createPinia()
  setActivePinia(pinia)
  useSessionStore().setSession({ token: 'tok', expiresAt: new Date(Date.now() + 3_600_000).toISOString(), user: { id: userId, name: 'x', roles: [] } })
  const router = createAppRouter({ session: { hasValidToken: () => true }, history: createMemoryHistory('/app/') })
  await router.push('/customers/cus_1/visit?visit=vis_1')
  const wrapper = mount(VisitPage, {
    global: { plugins: [pinia, createAppI18n(), router], provide: { [appContextKey as symbol]: { bridge, signIn: {} } } },
    attachTo: document.body,
  })
  await flushPromises()
  return { wrapper, calls }
}

describe('VisitPage, reading a visit back', () => {
  afterEach(() => {
    installApiClient(null)
    document.body.innerHTML = ''
  })

  it('shows a colleague’s visit with its photos, read-only, to whoever can see the card', async () => {
    const { wrapper } = await mountAs('usr_mgr')
    const shown = wrapper.find('[data-testid="visit-photos"]')
    expect(shown.exists()).toBe(true)
    expect(shown.findAll('img').map((img) => img.attributes('src'))).toEqual([photo(1).url, photo(2).url])
    expect(wrapper.find('[data-testid="visit"]').text()).toContain('谈了续约')
    expect(wrapper.find('[data-testid="add-photos"]').exists()).toBe(false)
    // Who made it and where, by address rather than raw coordinates; no check-in or planning of my own here.
    expect(wrapper.find('[data-testid="visitor"]').text()).toContain('拜访人：刘洋')
    expect(wrapper.find('[data-testid="check-in-place"]').text()).toContain('上海市浦东新区世纪大道100号')
    expect(wrapper.find('[data-testid="check-in"]').exists()).toBe(false)
  })

  it('opens the photos full screen from the one tapped', async () => {
    const { wrapper } = await mountAs('usr_rep')
    expect(wrapper.find('[data-testid="add-photos"]').exists()).toBe(true)
    await wrapper.findAll('.visit-page__photo')[1]?.trigger('click')
    await vi.waitFor(() => expect(document.body.querySelector('.van-image-preview')).not.toBeNull())
    const images = [...document.body.querySelectorAll<HTMLImageElement>('.van-image-preview img')].map((i) => i.getAttribute('src'))
    expect(images).toEqual([photo(1).url, photo(2).url])
    expect(document.body.querySelector('.van-image-preview__index')?.textContent?.trim()).toBe('2 / 2')
  })
})
