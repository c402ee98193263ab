import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { createApiClient, installApiClient } from '@/api'
import type { Notice, NoticeDetail } from '@/api/notices'
import { createAppI18n } from '@/i18n'
import { toLocalInput } from '@/lib/datetime'
import { createAppRouter } from '@/router'
import { fakeFetch, jsonResponse, type RecordedCall } from '@/testing/http'
import NoticePage from './NoticePage.vue'

const notice: Notice = {
  id: 'ntc_1',
  title: '十二月安全检查',
  body: '请各部门自查',
  category: 'admin',
  audience: { everyone: true },
  images: [],
  attachments: [],
  requireAck: false,
  reminder: null,
  status: 'published',
  scheduledAt: null,
  publishedAt: '2026-11-26T08:00:00.000Z',
  retractedAt: null,
  publisherId: 'usr_hr',
  version: 1,
  recipientCount: 12,
  createdAt: '2026-11-26T07:00:00.000Z',
}
const detail = (over: Partial<Notice>, canManage = true): NoticeDetail => ({
  notice: { ...notice, ...over },
  canManage,
  publisherName: '何芳',
  receipt: null,
})

async function mountPage(...answers: Array<(call: RecordedCall) => Response>) {
  const { fetch, calls } = fakeFetch(...answers)
  installApiClient(createApiClient({ baseUrl: 'http://bot.test', fetch, getToken: () => 'tok', onUnauthorized: async () => false }))
  setActivePinia(createPinia())
  const router = createAppRouter({ session: { hasValidToken: () => true }, history: createMemoryHistory('/app/') })
  await router.push('/notices/ntc_1')
  const wrapper = mount(NoticePage, { global: { plugins: [createAppI18n(), router] }, attachTo: document.body })
  await flushPromises()
  return { wrapper, calls }
}

const button = (testId: string) => {
  const el = document.body.querySelector<HTMLElement>(`[data-testid="${testId}"]`)
  if (!el) throw new Error(`no ${testId}`)
  return el
}

describe('NoticePage for publishers', () => {
  afterEach(() => {
    installApiClient(null)
    document.body.innerHTML = ''
  })

  it('retracts a published notice after asking, then shows it retracted', async () => {
    const { calls } = await mountPage(
      () => jsonResponse(200, detail({})),
      () => jsonResponse(200, { ...notice, status: 'retracted' }),
      () => jsonResponse(200, detail({ status: 'retracted', retractedAt: '2026-11-26T09:00:00.000Z' })),
    )
    button('retract').click()
    await vi.waitFor(() => expect(document.body.querySelector('.van-dialog__confirm')).not.toBeNull())
    // Nothing is sent before the confirmation.
    expect(calls).toHaveLength(1)
    document.body.querySelector<HTMLElement>('.van-dialog__confirm')?.click()
    await vi.waitFor(() => expect(calls).toHaveLength(3))
    await flushPromises()

    expect(calls[1]?.url).toBe('http://bot.test/api/v1/notices/ntc_1/retract')
    expect(calls[1]?.method).toBe('POST')
    expect(button('notice-status').getAttribute('data-status')).toBe('retracted')
    expect(document.body.querySelector('[data-testid="retract"]')).toBeNull()
  })

  it('schedules a draft for a future time, refusing one in the past', async () => {
    const later = new Date(Date.now() + 2 * 3_600_000)
    const { calls } = await mountPage(
      () => jsonResponse(200, detail({ status: 'draft', publishedAt: null })),
      () => jsonResponse(200, { ...notice, status: 'scheduled', scheduledAt: later.toISOString(), publishedAt: null }),
      () => jsonResponse(200, detail({ status: 'scheduled', scheduledAt: later.toISOString(), publishedAt: null })),
    )
    button('schedule').click()
    await flushPromises()
    const sheet = button('schedule-sheet')
    const input = sheet.querySelector<HTMLInputElement>('input[name="scheduledAt"]')
    if (!input) throw new Error('no time input')

    input.value = toLocalInput(new Date(Date.now() - 3_600_000))
    input.dispatchEvent(new Event('input'))
    await flushPromises()
    sheet.dispatchEvent(new Event('submit'))
    await flushPromises()
    expect(sheet.textContent).toContain('发布时间需晚于现在')
    expect(calls).toHaveLength(1)

    input.value = toLocalInput(later)
    input.dispatchEvent(new Event('input'))
    await flushPromises()
    sheet.dispatchEvent(new Event('submit'))
    await vi.waitFor(() => expect(calls).toHaveLength(3))
    await flushPromises()

    expect(calls[1]?.url).toBe('http://bot.test/api/v1/notices/ntc_1/schedule')
    const sent = new Date((JSON.parse(calls[1]?.body ?? '{}') as { scheduledAt: string }).scheduledAt)
    // To the minute the picker shows.
    expect(Math.abs(sent.getTime() - later.getTime())).toBeLessThan(60_000)
    expect(button('notice-status').getAttribute('data-status')).toBe('scheduled')
    expect(button('scheduled-for').textContent).toContain('将于')
  })

  it('offers readers no publisher actions', async () => {
    await mountPage(() => jsonResponse(200, detail({}, false)))
    expect(document.body.querySelector('[data-testid="retract"]')).toBeNull()
    expect(document.body.querySelector('[data-testid="schedule"]')).toBeNull()
  })
})
