import { execSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { type Browser, chromium } from 'playwright-core'

/** Where e2e runs leave screenshots for reviewers. */
export const OUTPUT_DIR = resolve(process.cwd(), 'tests/output')

/** Debian's Chromium (installed by .ci/run); null when absent outside CI. */
export function chromiumPath(): string | null {
  try {
    return execSync('command -v chromium', { encoding: 'utf8' }).trim() || null
  } catch {
    if (process.env.CI === 'true')
      throw new Error('chromium is required for e2e tests when CI=true (apt-get install chromium)')
    process.stderr.write('!! chromium not found: browser e2e tests are SKIPPED (apt-get install chromium)\n')
    return null
  }
}

/** Headless Chromium with the flags this closed network needs (no background connections). */
export async function launchBrowser(executablePath: string): Promise<Browser> {
  mkdirSync(OUTPUT_DIR, { recursive: true })
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  })
}
