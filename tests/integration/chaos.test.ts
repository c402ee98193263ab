import { rmSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { runChaos } from '../helpers/chaos'
import { ThrowawayPostgres } from '../helpers/throwaway-postgres'

/**
 * The chaos run at reduced size (full size: `npx tsx tests/bench/chaos.ts`): two HTTP instances and two workers
 * on a PostgreSQL and a Redis of their own (started here, so the shared servers are never restarted), a
 * random process SIGKILLed every few seconds and restarted, one PostgreSQL crash-restart, one Redis restart
 * (everything in it lost), under chat commands, approvals approved by card taps, leads through the signed intake and a notice fan-out.
 * Nothing lost, nothing done twice, nothing stuck, and every fault recovered from.
 */
describe('chaos across processes', () => {
  it.skipIf(!ThrowawayPostgres.available())(
    'acts on every event once, delivers every message once and leaves no approval or outbox row behind',
    async () => {
      const report = await runChaos({
        durationMs: 16_000,
        killEveryMs: 4_000,
        chatPerSecond: 3,
        approvalsPerSecond: 0.5,
        fanout: 60,
        leadsPerSecond: 1,
        drainTimeoutMs: 150_000,
      })
      expect({
        details: report.details,
        chat: report.chat,
        approvals: report.approvals,
        notice: report.notice,
        leads: report.leads,
        outbox: report.outbox,
      }).toEqual({
        details: [],
        chat: { sent: report.chat.sent, answered: report.chat.sent, lost: 0, duplicated: 0 },
        approvals: {
          submitted: report.approvals.submitted,
          approved: report.approvals.submitted,
          failedTaps: report.approvals.failedTaps,
          inconsistent: 0,
          cardsDuplicated: 0,
          cardsLost: 0,
        },
        notice: { recipients: 60, delivered: 60, lost: 0, duplicated: 0 },
        leads: {
          pushed: report.leads.pushed,
          stored: report.leads.pushed,
          lost: 0,
          duplicated: 0,
          cardsLost: 0,
          cardsDuplicated: 0,
        },
        outbox: { stuck: 0, failed: 0, failedErrors: [] },
      })
      expect(report.chat.sent).toBeGreaterThan(20)
      expect(report.approvals.submitted).toBeGreaterThan(3)
      expect(report.leads.pushed).toBeGreaterThan(8)
      // Every fault had a probe answered (a finite recovery time), PostgreSQL and Redis restarts included.
      expect(report.faults.map((f) => f.fault)).toEqual(
        expect.arrayContaining(['postgres restart', 'redis restart']),
      )
      expect(report.faults.filter((f) => !Number.isFinite(f.recoveryMs))).toEqual([])
      rmSync(report.logDir, { recursive: true, force: true })
    },
    420_000,
  )
})
