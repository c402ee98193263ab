import {
  createRouter,
  createWebHistory,
  type RouteRecordRaw,
  type Router,
  type RouterHistory,
} from 'vue-router'
import AppShell from '@/components/shell/AppShell.vue'
import HomePage from '@/pages/HomePage.vue'
import type { TabName } from '@/composables/use-nav-tabs'
import type { MessageKey } from '@/i18n'
import { prefetchReport } from '@/pages/reports/report-route'
import { safeRedirect } from './redirect'

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without a session (login, not found). */
    public?: boolean
    /** The navigation entry this page belongs to. */
    tab?: TabName
    /** A record page opened by a deep link; the phone layout hides the tab bar there. */
    detail?: boolean
    titleKey?: MessageKey
  }
}

// One lazy chunk per page. The shell (layout, navigation) and the home page are in the entry chunk: the
// app opens on home, and on a slow network a separate home chunk (and the Vant pieces it shares) costs
// more round trips than its ~10 KB cost a deep link to another page (tests/bench/miniapp-lcp.ts).
const MePage = () => import('@/pages/MePage.vue')

export const routes: RouteRecordRaw[] = [
  {
    path: '/login',
    name: 'login',
    component: () => import('@/pages/LoginPage.vue'),
    meta: { public: true, titleKey: 'title.login' },
  },
  {
    path: '/',
    component: AppShell,
    children: [
      { path: '', name: 'home', component: HomePage, meta: { tab: 'home', titleKey: 'title.home' } },
      {
        path: 'customers',
        name: 'customers',
        component: () => import('@/pages/customers/CustomersPage.vue'),
        meta: { tab: 'customers', titleKey: 'title.customers' },
      },
      {
        path: 'customers/new',
        name: 'customer-new',
        component: () => import('@/pages/customers/CustomerEditPage.vue'),
        meta: { tab: 'customers', detail: true, titleKey: 'title.customerNew' },
      },
      {
        path: 'customers/:id',
        name: 'customer',
        component: () => import('@/pages/customers/CustomerPage.vue'),
        meta: { tab: 'customers', detail: true, titleKey: 'title.customer' },
      },
      {
        path: 'customers/:id/edit',
        name: 'customer-edit',
        component: () => import('@/pages/customers/CustomerEditPage.vue'),
        meta: { tab: 'customers', detail: true, titleKey: 'title.customerEdit' },
      },
      {
        // Chat cards' 写跟进: the customer card with the follow-up sheet open.
        path: 'customers/:id/follow-up',
        name: 'customer-follow-up',
        redirect: (to) => ({ name: 'customer', params: { id: to.params.id }, query: { action: 'follow-up' } }),
      },
      {
        path: 'customers/:id/visit',
        name: 'customer-visit',
        component: () => import('@/pages/visits/VisitPage.vue'),
        meta: { tab: 'customers', detail: true, titleKey: 'title.visit' },
      },
      {
        path: 'leads',
        name: 'leads',
        component: () => import('@/pages/leads/LeadsPage.vue'),
        meta: { tab: 'customers', titleKey: 'title.leads' },
      },
      {
        path: 'leads/new',
        name: 'lead-new',
        component: () => import('@/pages/leads/LeadNewPage.vue'),
        meta: { tab: 'customers', detail: true, titleKey: 'title.leadNew' },
      },
      // The 线索池: the list with its pool scope.
      { path: 'leads/pool', name: 'lead-pool', redirect: { name: 'leads', query: { scope: 'pool' } } },
      {
        // 「渠道」card's 查看完整分析.
        path: 'leads/channels',
        name: 'lead-channels',
        component: () => import('@/pages/leads/ChannelAnalysisPage.vue'),
        meta: { tab: 'customers', titleKey: 'title.leadChannels' },
      },
      {
        path: 'leads/:id',
        name: 'lead',
        component: () => import('@/pages/leads/LeadPage.vue'),
        meta: { tab: 'customers', detail: true, titleKey: 'title.lead' },
      },
      {
        path: 'deals',
        name: 'deals',
        component: () => import('@/pages/deals/DealsPage.vue'),
        meta: { tab: 'customers', titleKey: 'title.deals' },
      },
      {
        path: 'deals/reviews',
        name: 'deal-reviews',
        component: () => import('@/pages/deals/DealReviewsPage.vue'),
        meta: { tab: 'customers', detail: true, titleKey: 'title.dealReviews' },
      },
      {
        // The overdue 回款 card and contract cards link here.
        path: 'deals/contracts/:id',
        name: 'contract',
        component: () => import('@/pages/deals/ContractPage.vue'),
        meta: { tab: 'customers', detail: true, titleKey: 'title.contract' },
      },
      {
        path: 'deals/contracts/:id/payment',
        name: 'payment-new',
        component: () => import('@/pages/deals/PaymentPage.vue'),
        meta: { tab: 'customers', detail: true, titleKey: 'title.paymentNew' },
      },
      {
        path: 'deals/:id',
        name: 'deal',
        component: () => import('@/pages/deals/DealPage.vue'),
        meta: { tab: 'customers', detail: true, titleKey: 'title.deal' },
      },
      {
        path: 'approvals',
        name: 'approvals',
        component: () => import('@/pages/approvals/ApprovalsPage.vue'),
        meta: { tab: 'approvals', titleKey: 'title.approvals' },
      },
      {
        path: 'approvals/new/:key?',
        name: 'approval-start',
        // Chat form cards link `/approvals/new?template=<key>`: open that template's form.
        beforeEnter: (to) =>
          !to.params.key && typeof to.query.template === 'string' && to.query.template
            ? { name: 'approval-start', params: { key: to.query.template }, replace: true }
            : true,
        component: () => import('@/pages/approvals/ApprovalStartPage.vue'),
        meta: { tab: 'approvals', detail: true, titleKey: 'title.approvalStart' },
      },
      {
        // The progress card's 修改并重新提交: the request with its resubmit form open.
        path: 'approvals/:id/resubmit',
        name: 'approval-resubmit',
        redirect: (to) => ({ name: 'approval', params: { id: to.params.id }, query: { action: 'resubmit' } }),
      },
      {
        path: 'approvals/:id',
        name: 'approval',
        component: () => import('@/pages/approvals/ApprovalPage.vue'),
        meta: { tab: 'approvals', detail: true, titleKey: 'title.approval' },
      },
      {
        path: 'notices',
        name: 'notices',
        component: () => import('@/pages/notices/NoticesPage.vue'),
        meta: { tab: 'notices', titleKey: 'title.notices' },
      },
      {
        path: 'notices/new',
        name: 'notice-new',
        component: () => import('@/pages/notices/NoticeCreatePage.vue'),
        meta: { tab: 'notices', detail: true, titleKey: 'title.noticeNew' },
      },
      {
        path: 'notices/:id',
        name: 'notice',
        component: () => import('@/pages/notices/NoticePage.vue'),
        meta: { tab: 'notices', detail: true, titleKey: 'title.notice' },
      },
      {
        path: 'notices/:id/dashboard',
        name: 'notice-dashboard',
        component: () => import('@/pages/notices/NoticeDashboardPage.vue'),
        meta: { tab: 'notices', detail: true, titleKey: 'title.noticeDashboard' },
      },
      {
        path: 'news/:id',
        name: 'news',
        component: () => import('@/pages/notices/NewsPage.vue'),
        meta: { tab: 'notices', detail: true, titleKey: 'title.news' },
      },
      {
        path: 'service',
        name: 'service',
        component: () => import('@/pages/service/ServiceTicketsPage.vue'),
        meta: { tab: 'me', titleKey: 'title.service' },
      },
      {
        path: 'service/new',
        name: 'service-new',
        component: () => import('@/pages/service/ServiceNewPage.vue'),
        meta: { tab: 'me', detail: true, titleKey: 'title.serviceNew' },
      },
      {
        path: 'service/:id',
        name: 'service-ticket',
        component: () => import('@/pages/service/ServiceTicketPage.vue'),
        meta: { tab: 'me', detail: true, titleKey: 'title.serviceTicket' },
      },
      {
        path: 'reports',
        name: 'reports',
        component: () => import('@/pages/reports/ReportsPage.vue'),
        // The figures are asked for beside the page's chunk (report-route.ts), not after it.
        beforeEnter: (to) => {
          prefetchReport(to.query)
        },
        meta: { tab: 'reports', titleKey: 'title.reports' },
      },
      { path: 'me', name: 'me', component: MePage, meta: { tab: 'me', titleKey: 'title.me' } },
      // The admin console: lazy pages, opened from 我的 (phone) or the side navigation (desktop) by people
      // holding an admin permission; the bot refuses every call of anyone else with 403.
      {
        path: 'admin',
        name: 'admin',
        component: () => import('@/pages/admin/AdminPage.vue'),
        meta: { tab: 'admin', titleKey: 'title.admin' },
      },
      {
        path: 'admin/settings',
        name: 'admin-settings',
        component: () => import('@/pages/admin/AdminSettingsPage.vue'),
        meta: { tab: 'admin', detail: true, titleKey: 'title.admin' },
      },
      {
        path: 'admin/people',
        name: 'admin-people',
        component: () => import('@/pages/admin/AdminPeoplePage.vue'),
        meta: { tab: 'admin', detail: true, titleKey: 'title.adminPeople' },
      },
      {
        path: 'admin/roles',
        name: 'admin-roles',
        component: () => import('@/pages/admin/AdminRolesPage.vue'),
        meta: { tab: 'admin', detail: true, titleKey: 'title.adminRoles' },
      },
      {
        path: 'admin/roles/:id',
        name: 'admin-role',
        component: () => import('@/pages/admin/AdminRolePage.vue'),
        meta: { tab: 'admin', detail: true, titleKey: 'title.adminRole' },
      },
      {
        path: 'admin/templates',
        name: 'admin-templates',
        component: () => import('@/pages/admin/AdminTemplatesPage.vue'),
        meta: { tab: 'admin', detail: true, titleKey: 'title.adminTemplates' },
      },
      {
        path: 'admin/templates/new',
        name: 'admin-template-new',
        component: () => import('@/pages/admin/AdminTemplatePage.vue'),
        meta: { tab: 'admin', detail: true, titleKey: 'title.adminTemplate' },
      },
      {
        path: 'admin/templates/:key',
        name: 'admin-template',
        component: () => import('@/pages/admin/AdminTemplatePage.vue'),
        meta: { tab: 'admin', detail: true, titleKey: 'title.adminTemplate' },
      },
      {
        path: 'admin/targets',
        name: 'admin-targets',
        component: () => import('@/pages/admin/AdminTargetsPage.vue'),
        meta: { tab: 'admin', detail: true, titleKey: 'title.adminTargets' },
      },
      {
        path: 'admin/crm',
        name: 'admin-crm',
        component: () => import('@/pages/admin/AdminCrmPage.vue'),
        meta: { tab: 'admin', detail: true, titleKey: 'title.adminCrm' },
      },
      {
        path: 'admin/service',
        name: 'admin-service',
        component: () => import('@/pages/admin/AdminServicePage.vue'),
        meta: { tab: 'admin', detail: true, titleKey: 'title.adminService' },
      },
      {
        path: 'admin/service/qr',
        name: 'admin-service-qr',
        component: () => import('@/pages/admin/AdminServiceQrPage.vue'),
        meta: { tab: 'admin', detail: true, titleKey: 'title.adminServiceQr' },
      },
      {
        path: 'admin/lead-channels',
        name: 'admin-lead-channels',
        component: () => import('@/pages/admin/AdminLeadChannelsPage.vue'),
        meta: { tab: 'admin', detail: true, titleKey: 'title.adminLeadChannels' },
      },
      {
        path: 'admin/audit',
        name: 'admin-audit',
        component: () => import('@/pages/admin/AdminAuditPage.vue'),
        meta: { tab: 'admin', detail: true, titleKey: 'title.adminAudit' },
      },
    ],
  },
  {
    path: '/:pathMatch(.*)*',
    name: 'not-found',
    component: () => import('@/pages/NotFoundPage.vue'),
    meta: { public: true, titleKey: 'title.notFound' },
  },
]

export interface AppRouterDeps {
  session: { hasValidToken(): boolean }
  /**
   * True while a login code (in the URL, or from the chat client) is being exchanged at start-up. Pages
   * then open at once and their API calls wait for the session; if the exchange fails, the API client's
   * sign-out handler sends the user to the login page, which shows why.
   */
  signingIn?(): boolean
  /** Defaults to HTML5 history under Vite's base (`/app/`). */
  history?: RouterHistory
  /** Called when a lazy page chunk fails to load (usually: a deploy replaced it). */
  onChunkError?(targetPath: string): void
}

function isChunkLoadError(error: unknown): boolean {
  return (
    error instanceof Error &&
    /Failed to fetch dynamically imported module|Importing a module script failed|error loading dynamically imported module|Unable to preload CSS/i.test(
      error.message,
    )
  )
}

/**
 * History-mode router under `/app/`: `/app/customers/cus_123` is a real URL that Feishu AppLinks (`path`
 * may not contain `#`), card buttons and a refresh all reach. Pages other than login and not-found need a
 * session; without one the guard sends the user to `/login?redirect=<where they were going>`.
 */
export function createAppRouter(deps: AppRouterDeps): Router {
  const router = createRouter({
    history: deps.history ?? createWebHistory(import.meta.env.BASE_URL),
    routes,
    scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
  })

  router.beforeEach((to) => {
    if (to.name === 'login') {
      return deps.session.hasValidToken() && !to.query.signedOut ? safeRedirect(to.query.redirect) : true
    }
    if (to.meta.public || deps.session.hasValidToken() || deps.signingIn?.()) return true
    return { name: 'login', query: { redirect: to.fullPath }, replace: true }
  })

  router.onError((error, to) => {
    if (isChunkLoadError(error)) deps.onChunkError?.(to.fullPath)
  })

  return router
}
