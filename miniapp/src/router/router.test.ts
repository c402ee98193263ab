import { describe, expect, it } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { createAppRouter } from './index'
import { safeRedirect } from './redirect'

function router(signedIn: boolean) {
  return createAppRouter({
    session: { hasValidToken: () => signedIn },
    history: createMemoryHistory('/app/'),
  })
}

describe('app router', () => {
  it('sends a deep link without a session to login, keeping where it was going', async () => {
    const r = router(false)
    await r.push('/customers/cus_123?from=card')

    expect(r.currentRoute.value.name).toBe('login')
    expect(r.currentRoute.value.query.redirect).toBe('/customers/cus_123?from=card')
  })

  it('opens deep links to records directly with a session', async () => {
    const r = router(true)

    await r.push('/approvals/ins_123')
    expect(r.currentRoute.value.name).toBe('approval')
    expect(r.currentRoute.value.params.id).toBe('ins_123')
    expect(r.currentRoute.value.meta.detail).toBe(true)

    await r.push('/customers/cus_123')
    expect(r.currentRoute.value.name).toBe('customer')
  })

  it('opens a page at once while the app exchanges a login code, and not after', async () => {
    let signingIn = true
    const r = createAppRouter({
      session: { hasValidToken: () => false },
      signingIn: () => signingIn,
      history: createMemoryHistory('/app/'),
    })
    await r.push('/approvals/ins_1')
    expect(r.currentRoute.value.name).toBe('approval')

    signingIn = false
    await r.push('/customers')
    expect(r.currentRoute.value.name).toBe('login')
    expect(r.currentRoute.value.query.redirect).toBe('/customers')
  })

  it('skips the login page when already signed in', async () => {
    const r = router(true)
    await r.push('/login?redirect=%2Fnotices%2Fntc_1')
    expect(r.currentRoute.value.name).toBe('notice')
  })

  it('keeps the login page after an explicit sign-out', async () => {
    const r = router(true)
    await r.push('/login?signedOut=1')
    expect(r.currentRoute.value.name).toBe('login')
  })

  it('shows not-found for unknown paths without asking for a session', async () => {
    const r = router(false)
    await r.push('/nope/really')
    expect(r.currentRoute.value.name).toBe('not-found')
  })
})

describe('safeRedirect', () => {
  it.each([
    ['/customers/cus_1', '/customers/cus_1'],
    ['//evil.example/x', '/'],
    ['https://evil.example', '/'],
    [null, '/'],
    [undefined, '/'],
  ])('maps %s to %s', (input, expected) => {
    expect(safeRedirect(input)).toBe(expected)
  })
})
