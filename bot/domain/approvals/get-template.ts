import type { ServiceContext } from '../context'
import { loadTemplateVersion, type TemplateVersion } from './store'

/** A template's current (or a given) version with its form, flow and settings. */
export async function getTemplate({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: { key: string; version?: number }
}): Promise<TemplateVersion> {
  return loadTemplateVersion(ctx, {
    key: input.key,
    ...(input.version !== undefined ? { version: input.version } : {}),
  })
}
