/**
 * The chaos run at full size (the reduced one runs in `npm test`: tests/integration/chaos.test.ts):
 * two HTTP instances and two workers on a PostgreSQL and a Redis of their own, a random process SIGKILLed every
 * few seconds, one PostgreSQL restart, one Redis restart, under chat commands, approvals by card tap, leads
 * through the signed intake and a notice fan-out. Prints `BENCH chaos <measure> <value> <unit> target <value>` lines.
 *
 *   npx tsx tests/bench/chaos.ts [seconds, default 60]
 * env: FANOUT (1000), CHAT_RATE (10), APPROVAL_RATE (2), LEAD_RATE (5), KILL_EVERY_MS (4000)
 */
import { rmSync } from 'node:fs'
import { runChaos } from '../helpers/chaos'
import { fmt } from './stats'

const seconds = Number(process.argv[2] ?? 60)
// A signal ends the run through `exit`, where runChaos stops every process and server it started.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130))
const report = await runChaos({
  durationMs: seconds * 1000,
  killEveryMs: Number(process.env.KILL_EVERY_MS ?? 4000),
  chatPerSecond: Number(process.env.CHAT_RATE ?? 10),
  approvalsPerSecond: Number(process.env.APPROVAL_RATE ?? 2),
  fanout: Number(process.env.FANOUT ?? 1000),
  leadsPerSecond: Number(process.env.LEAD_RATE ?? 5),
  drainTimeoutMs: 180_000,
  log: (line) => console.log(line),
})
const bench = (measure: string, value: number, unit: string, target: string) =>
  console.log(`BENCH chaos ${measure} ${fmt(value, unit === 'ms' ? 0 : 0)} ${unit} target ${target}`)
bench('chat_sent', report.chat.sent, 'events', 'n/a')
bench('chat_lost', report.chat.lost, 'events', '0')
bench('chat_duplicated', report.chat.duplicated, 'events', '0')
bench('approvals_submitted', report.approvals.submitted, 'requests', 'n/a')
bench('approvals_inconsistent', report.approvals.inconsistent, 'requests', '0')
bench('approval_cards_lost', report.approvals.cardsLost, 'cards', '0')
bench('approval_cards_duplicated', report.approvals.cardsDuplicated, 'cards', '0')
bench('notice_recipients', report.notice.recipients, 'people', 'n/a')
bench('notice_lost', report.notice.lost, 'people', '0')
bench('notice_duplicated', report.notice.duplicated, 'people', '0')
bench('leads_pushed', report.leads.pushed, 'leads', 'n/a')
bench('leads_lost', report.leads.lost, 'leads', '0')
bench('leads_duplicated', report.leads.duplicated, 'leads', '0')
bench('lead_cards_lost', report.leads.cardsLost, 'cards', '0')
bench('lead_cards_duplicated', report.leads.cardsDuplicated, 'cards', '0')
bench('outbox_stuck', report.outbox.stuck, 'rows', '0')
bench('outbox_failed', report.outbox.failed, 'rows', '0')
for (const f of report.faults) bench(`recovery.${f.fault.replaceAll(' ', '_')}`, f.recoveryMs, 'ms', 'n/a')
bench('settle_after_faults', report.settleMs, 'ms', 'n/a')
if (report.outbox.failedErrors.length) console.log('failed rows:', report.outbox.failedErrors)
console.log(`logs: ${report.logDir} (loaded machine, indicative only)`)
if (!process.env.KEEP_LOGS) rmSync(report.logDir, { recursive: true, force: true })
process.exit(0)
