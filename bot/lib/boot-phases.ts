/**
 * Times the phases of a process's start (module loading, opening the database, migrations, seeding, jobs,
 * listen): wall time and this process's CPU time of each, from the previous mark (the first from the
 * process's own start, `performance.timeOrigin`). The Node entry logs them with "flowcard is listening", so a
 * slow start names its slow phase; CPU time does not grow with the machine's load, wall time does.
 */
export interface BootPhase {
  phase: string
  ms: number
  cpuMs: number
}

const phases: BootPhase[] = []
let lastWall = 0
let lastCpu = 0

function cpuMsNow(): number {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

/** Ends the phase `name` now (it began at the previous mark, or at the process's start). */
export function bootPhase(name: string): void {
  const wall = performance.now()
  const cpu = cpuMsNow()
  const entry = { phase: name, ms: Math.round(wall - lastWall), cpuMs: Math.round(cpu - lastCpu) }
  phases.push(entry)
  if (process.env.FLOWCARD_BOOT_TRACE)
    process.stderr.write(`boot ${JSON.stringify(entry)} at ${Math.round(wall)}\n`)
  lastWall = wall
  lastCpu = cpu
}

/** The phases so far, and the totals since the process started. */
export function bootPhases(): { phases: BootPhase[]; ms: number; cpuMs: number } {
  return { phases: [...phases], ms: Math.round(performance.now()), cpuMs: Math.round(cpuMsNow()) }
}
