import { flushPromises, mount } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { ApiError } from '@/api/errors'
import { appContextKey } from '@/app-context'
import type { SignIn } from '@/auth/sign-in'
import { createAppI18n } from '@/i18n'
import type { PlatformBridge } from '@/platform/types'
import { createAppRouter } from '@/router'
import LoginPage from './LoginPage.vue'

const bridge: PlatformBridge = {
  name: 'devchat',
  getLoginCode: async () => null,
  getLocation: async () => ({ lat: 0, lng: 0, accuracy: 0 }),
  chooseImages: async () => [],
  close: () => undefined,
}

async function mountLogin(signIn: SignIn, session = { hasValidToken: () => false }) {
  const router = createAppRouter({ session, history: createMemoryHistory('/app/') })
  await router.push('/login?redirect=%2Fcustomers')
  const wrapper = mount(LoginPage, {
    global: {
      plugins: [createPinia(), createAppI18n(), router],
      provide: { [appContextKey as symbol]: { bridge, signIn } },
    },
  })
  await flushPromises()
  return { wrapper, router }
}

describe('LoginPage', () => {
  it('shows why the sign-in the app started failed, without spending another attempt', async () => {
    const signIn: SignIn = {
      run: vi.fn(async () => 'no-code' as const),
      pending: () => null,
      failed: () => true,
      takeFailure: vi.fn(() => new ApiError({ status: 400, code: 'invalid_code', message: '登录码已使用', requestId: 'req_9' })),
    }
    const { wrapper } = await mountLogin(signIn)

    expect(wrapper.text()).toContain('登录失败')
    expect(wrapper.text()).toContain('req_9')
    expect(signIn.run).not.toHaveBeenCalled()
  })

  it('signs in on its own when nothing failed before, then goes where the user was headed', async () => {
    let signedIn = false
    const signIn: SignIn = {
      run: vi.fn(async () => {
        signedIn = true
        return 'signed-in' as const
      }),
      pending: () => null,
      failed: () => false,
      takeFailure: () => null,
    }
    const { router } = await mountLogin(signIn, { hasValidToken: () => signedIn })

    expect(signIn.run).toHaveBeenCalledOnce()
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/customers'))
  })
})
