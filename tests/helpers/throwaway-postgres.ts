import { execFile, execFileSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import postgres from 'postgres'

const run = promisify(execFile)

/**
 * A PostgreSQL server of its own, in a temporary directory on its own port (initdb + pg_ctl), so a test
 * can restart or kill "the database" without touching the shared server other tests use. Needs the
 * PostgreSQL server binaries; as root it runs them as the `postgres` user (initdb refuses root).
 * `ThrowawayPostgres.available()` says whether this machine can.
 */
export class ThrowawayPostgres {
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly bin: string,
  ) {}

  static binDir(): string | null {
    const base = '/usr/lib/postgresql'
    if (!existsSync(base)) return null
    const versions = readdirSync(base)
      .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a))
    return versions[0] ? join(base, versions[0], 'bin') : null
  }

  static available(): boolean {
    return (
      ThrowawayPostgres.binDir() !== null && (process.getuid?.() !== 0 || existsSync('/usr/sbin/runuser'))
    )
  }

  static async start(port: number): Promise<ThrowawayPostgres> {
    const bin = ThrowawayPostgres.binDir()
    if (!bin) throw new Error('no PostgreSQL server binaries (initdb) found')
    const dir = mkdtempSync(join(tmpdir(), 'fc-pg-'))
    chmodSync(dir, 0o700)
    if (process.getuid?.() === 0) {
      const { stdout } = await run('id', ['-u', 'postgres'])
      const { stdout: gid } = await run('id', ['-g', 'postgres'])
      chownSync(dir, Number(stdout.trim()), Number(gid.trim()))
    }
    const pg = new ThrowawayPostgres(port, dir, bin)
    await pg.as('initdb', [
      '-D',
      join(dir, 'data'),
      '-A',
      'trust',
      '-U',
      'postgres',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
      '-N',
    ])
    await pg.startServer()
    const admin = postgres(pg.url('postgres'), { max: 1, onnotice: () => {} })
    await admin.unsafe('create database flowcard')
    await admin.end({ timeout: 5 })
    return pg
  }

  url(database = 'flowcard'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`
  }

  private as(cmd: string, args: string[]) {
    const path = join(this.bin, cmd)
    return process.getuid?.() === 0
      ? run('/usr/sbin/runuser', ['-u', 'postgres', '--', path, ...args], { cwd: this.dir })
      : run(path, args, { cwd: this.dir })
  }

  async startServer(): Promise<void> {
    const options = [
      `-p ${this.port}`,
      `-k ${this.dir}`,
      "-c listen_addresses='127.0.0.1'",
      // The faults here are process crashes, never the machine's: fsync and full-page writes guard against
      // the latter only. synchronous_commit stays on, as in production: with it off, a crash-restart loses
      // commits already acknowledged (a claimed message handled again, a reply sent twice).
      '-c fsync=off',
      '-c full_page_writes=off',
      '-c max_connections=200',
    ].join(' ')
    await this.as('pg_ctl', [
      '-D',
      join(this.dir, 'data'),
      '-o',
      options,
      '-l',
      join(this.dir, 'log'),
      '-w',
      '-t',
      '60',
      'start',
    ])
  }

  /** `immediate` is a crash (no checkpoint, every connection cut); `fast` a clean shutdown. */
  async stopServer(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.as('pg_ctl', ['-D', join(this.dir, 'data'), '-m', mode, '-w', '-t', '60', 'stop']).catch(
      () => {},
    )
  }

  async restart(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.stopServer(mode)
    await this.startServer()
  }

  /** For an `exit` handler (synchronous): crash-stops the server and removes its directory. */
  destroyNow(): void {
    const ctl = join(this.bin, 'pg_ctl')
    const args = ['-D', join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop']
    try {
      if (process.getuid?.() === 0) execFileSync('/usr/sbin/runuser', ['-u', 'postgres', '--', ctl, ...args])
      else execFileSync(ctl, args)
    } catch {}
    rmSync(this.dir, { recursive: true, force: true })
  }

  async destroy(): Promise<void> {
    await this.stopServer('immediate')
    rmSync(this.dir, { recursive: true, force: true })
  }
}
