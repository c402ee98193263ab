import { and, eq, lte } from 'drizzle-orm'
import type { SendMessagePayload } from '../../bot/domain/chat/send'
import { SERVICE_TIMER } from '../../bot/domain/service'
import type { TicketCardData } from '../../bot/domain/service/views'
import type { Clock } from '../../bot/lib/clock'
import { newId } from '../../bot/lib/ids'
import type { Database } from '../../db/client'
import { outbox, roles, userRoles } from '../../db/schema'
import { serviceProcessors } from '../../jobs/processors/service'
import type { ProcessorDeps } from '../../jobs/processors/types'
import { type CrmTenant, crmTenant, DAY, silent, uid } from './crm-harness'

/** A settable clock at next Monday 10:00 China time (relative to today, never a literal date). */
export function mondayClock(hour = 10) {
  const now = Date.now()
  const local = new Date(now + 8 * 3_600_000)
  const dow = local.getUTCDay() === 0 ? 7 : local.getUTCDay()
  const monday = new Date(now + 8 * 3_600_000 + (8 - dow) * DAY).toISOString().slice(0, 10)
  let at = new Date(`${monday}T${String(hour).padStart(2, '0')}:00:00+08:00`)
  const clock: Clock & { advance(ms: number): void } = {
    now: () => at,
    advance: (ms) => {
      at = new Date(at.getTime() + ms)
    },
  }
  return clock
}

/** Grants a service-manager role (service.manage, department and below) to `key`. */
export async function makeServiceManager(database: Database, org: CrmTenant, key: string) {
  const roleId = newId('rol')
  await database.db.insert(roles).values({
    id: roleId,
    tenantId: org.tenantId,
    key: `svc_${key}`,
    name: '客服经理',
    dataScope: 'department_tree',
    permissions: ['service.manage'],
  })
  await database.db.insert(userRoles).values({ tenantId: org.tenantId, userId: uid(org, key), roleId })
}

export async function serviceTenant(database: Database) {
  const org = await crmTenant(database)
  await makeServiceManager(database, org, 'zhangwei')
  return org
}

/** Runs every service timer due by the clock, as the worker would (through the registered processor). */
export async function runDueTimers(database: Database, org: CrmTenant, clock: Clock) {
  const procs = serviceProcessors({ database, clock, logger: silent } as unknown as ProcessorDeps)
  const due = await database.db
    .select()
    .from(outbox)
    .where(
      and(
        eq(outbox.tenantId, org.tenantId),
        eq(outbox.topic, SERVICE_TIMER),
        lte(outbox.availableAt, clock.now()),
      ),
    )
  for (const row of due) {
    await procs[SERVICE_TIMER]?.(row.payload as never, { id: String(row.id) } as never)
    await database.db.delete(outbox).where(eq(outbox.id, row.id))
  }
}

/** The ticket cards queued for sending: who gets which kind. */
export async function ticketCards(database: Database, org: CrmTenant, ticketId: string) {
  const rows = await database.db
    .select()
    .from(outbox)
    .where(and(eq(outbox.tenantId, org.tenantId), eq(outbox.topic, 'send.message')))
    .orderBy(outbox.id)
  return rows
    .map((r) => r.payload as unknown as SendMessagePayload)
    .filter((p) => p.content.kind === 'view' && (p.content.view.data as TicketCardData).ticketId === ticketId)
    .map((p) => ({
      to: 'userId' in p.to ? p.to.userId : '',
      kind: (p.content.kind === 'view' ? (p.content.view.data as TicketCardData) : null)?.kind,
    }))
}
