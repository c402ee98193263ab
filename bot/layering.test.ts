import { execFile } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const repo = join(import.meta.dirname, '..')
const biome = join(repo, 'node_modules', '.bin', 'biome')

/**
 * The layering rules of `biome.json` (run by `npm run lint`, part of `npm run check`), exercised on fixture
 * files laid out like the repository in a scratch folder with a copy of the real configuration.
 */
const fixtures: Record<string, string> = {
  'bot/domain/crm/uses-transport.ts': [
    "import { Hono } from 'hono'",
    "import { Queue } from 'bullmq'",
    "import { createHash } from 'node:crypto'",
    "import { feishuAdapter } from '../../platforms/feishu/adapter'",
    "import { onError } from '../../http/errors'",
    "import { commands } from '../../commands'",
    "import { buildProcessors } from '../../../jobs/processors'",
    "import { customerCard } from '../../cards/customer-card'",
    'export const all = [Hono, Queue, createHash, feishuAdapter, onError, commands, buildProcessors, customerCard]',
  ].join('\n'),
  'bot/domain/crm/clean.ts': [
    "import { eq } from 'drizzle-orm'",
    "import { z } from 'zod'",
    "import { customers } from '../../../db/schema'",
    "import type { Card } from '../../chat/model'",
    "import { newId } from '../../lib/ids'",
    "import type { ServiceContext } from '../context'",
    'export const all = [eq, z, customers, newId]',
    'export type Both = [Card, ServiceContext]',
  ].join('\n'),
  'bot/cards/leaky-card.ts': [
    "import { customers } from '../../db/schema'",
    "import { renderCard } from '../platforms/feishu/render'",
    'export const all = [customers, renderCard]',
  ].join('\n'),
  'bot/http/routes/deep.ts': [
    "import { createLead } from '../../domain/leads/create-lead'",
    "import { listLeads } from '../../domain/leads'",
    "import { claimLead } from '../../domain/leads/index'",
    "import type { ServiceContext } from '../../domain/context'",
    "import { presetOf } from '../../domain/reports/internal/define'",
    'export const all = [createLead, listLeads, claimLead, presetOf]',
    'export type Ctx = ServiceContext',
  ].join('\n'),
  'bot/domain/service/peeks.ts': [
    "import { presetOf } from '../reports/internal/define'",
    "import { createLead } from '../leads/create-lead'",
    "import { listLeads } from '../leads'",
    "import { helper } from './internal/helper'",
    'export const all = [presetOf, createLead, listLeads, helper]',
  ].join('\n'),
  'bot/domain/service/internal/helper.ts': [
    "import { filters } from '../../reports/internal/filters'",
    "import { row } from './row'",
    'export const helper = [filters, row]',
  ].join('\n'),
  'bot/lib/cycle-a.ts': "import { b } from './cycle-b'\nexport const a = () => b\n",
  'bot/lib/cycle-b.ts': "import { a } from './cycle-a'\nexport const b = () => a\n",
}

let dir = ''
let diagnostics: Array<{ file: string; line: number; rule: string }> = []

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flowcard-layering-'))
  await copyFile(join(repo, 'biome.json'), join(dir, 'biome.json'))
  for (const [path, text] of Object.entries(fixtures)) {
    await mkdir(dirname(join(dir, path)), { recursive: true })
    await writeFile(join(dir, path), `${text}\n`)
  }
  const output = await run(biome, ['lint', '--colors=off', '--max-diagnostics=100', 'bot'], {
    cwd: dir,
  }).then(
    (r) => r.stdout + r.stderr,
    (err: { stdout: string; stderr: string }) => err.stdout + err.stderr,
  )
  diagnostics = [...output.matchAll(/^(bot\/\S+):(\d+):\d+ (lint\/\S+)/gm)].map((m) => ({
    file: m[1] ?? '',
    line: Number(m[2]),
    rule: m[3] ?? '',
  }))
}, 60_000)

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

const linesOf = (file: string, rule: string) =>
  diagnostics.filter((d) => d.file === file && d.rule === rule).map((d) => d.line)

describe('layering rules', () => {
  it('refuse transports, SDKs, node builtins, adapters, HTTP, commands, jobs and presenters in the domain', () => {
    expect(linesOf('bot/domain/crm/uses-transport.ts', 'lint/style/noRestrictedImports')).toEqual([
      1, 2, 4, 5, 6, 7, 8,
    ])
    expect(linesOf('bot/domain/crm/uses-transport.ts', 'lint/correctness/noNodejsModules')).toEqual([3])
  })

  it('let the domain use the database, zod, the chat model, bot/lib and its own context', () => {
    expect(diagnostics.filter((d) => d.file === 'bot/domain/crm/clean.ts')).toEqual([])
  })

  it('keep presenters off the database and the platform adapters', () => {
    expect(linesOf('bot/cards/leaky-card.ts', 'lint/style/noRestrictedImports')).toEqual([1, 2])
  })

  it('reach a domain area from outside only through its index.ts', () => {
    expect(linesOf('bot/http/routes/deep.ts', 'lint/style/noRestrictedImports')).toEqual([1, 5])
  })

  it("keep an area's internal/ helpers to the area", () => {
    expect(linesOf('bot/domain/service/peeks.ts', 'lint/style/noRestrictedImports')).toEqual([1])
    expect(linesOf('bot/domain/service/internal/helper.ts', 'lint/style/noRestrictedImports')).toEqual([1])
  })

  it('refuse an import cycle', () => {
    expect(linesOf('bot/lib/cycle-a.ts', 'lint/suspicious/noImportCycles')).toEqual([1])
    expect(linesOf('bot/lib/cycle-b.ts', 'lint/suspicious/noImportCycles')).toEqual([1])
  })
})
