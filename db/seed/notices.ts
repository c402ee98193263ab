import type { ServiceContext } from '../../bot/domain/context'
import { createNews, createNotice } from '../../bot/domain/notices'
import { systemClock } from '../../bot/lib/clock'
import type { DbOrTx } from '../client'
import type { SeededOrg } from './org'

const quiet = { debug() {}, info() {}, warn() {}, error() {} }

const as = (db: DbOrTx, tenantId: string, userId: string): ServiceContext => ({
  tenantId,
  actor: { kind: 'user', userId, via: 'api' },
  db,
  clock: systemClock,
  logger: quiet,
})

/** Demo notices (one company-wide with acknowledgement, one for sales) and two news articles. */
export async function seedNotices(db: DbOrTx, org: SeededOrg): Promise<void> {
  const hr = org.users.hefang
  const sales = org.users.liming
  const salesDept = org.departments.sales
  if (!hr || !sales || !salesDept) return
  await createNotice({
    ctx: as(db, org.tenantId, hr),
    input: {
      title: '关于 2027 年春节放假安排的通知',
      body: '各位同事：\n\n根据国家规定，公司春节假期为 **2 月 5 日至 2 月 13 日**，共 9 天。2 月 14 日（周日）正常上班。\n\n请各部门提前做好工作安排，假期前完成办公区域安全检查。',
      category: 'hr',
      audience: { everyone: true },
      requireAck: true,
      reminder: { afterMinutes: 24 * 60, urgentAfterMinutes: 48 * 60 },
      publish: 'now',
    },
  })
  await createNotice({
    ctx: as(db, org.tenantId, hr),
    input: {
      title: '销售部季度复盘会',
      body: '本周五 14:00 在 3 楼大会议室召开 Q4 复盘会，请销售部全体同事参加，并提前准备各自的客户跟进数据。',
      category: 'sales',
      audience: { departments: [{ id: salesDept, includeSubDepartments: true }] },
      publish: 'now',
    },
  })
  await createNews({
    ctx: as(db, org.tenantId, hr),
    input: {
      title: '云帆科技荣获“年度最佳数字化服务商”',
      summary: '在年度产业数字化大会上，公司凭借 OA 与 CRM 一体化方案获奖。',
      body: '在 11 月举行的产业数字化大会上，云帆科技凭借 OA 与 CRM 一体化方案获得“年度最佳数字化服务商”称号。感谢每一位同事的付出！',
      coverUrl: 'https://picsum.photos/seed/flowcard-award/640/360',
      category: 'company',
    },
  })
  await createNews({
    ctx: as(db, org.tenantId, hr),
    input: {
      title: '新版移动端上线：拜访签到更快了',
      summary: '弱网环境下的拜访签到与照片上传全面优化。',
      body: '新版移动端优化了弱网环境下的拜访签到流程，照片会在网络恢复后自动上传。',
      coverUrl: 'https://picsum.photos/seed/flowcard-mobile/640/360',
      category: 'product',
    },
  })
}
