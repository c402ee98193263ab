import { buildPgliteTemplate } from './client'

/**
 * Builds the PGlite template for the committed migrations (run at `npm install` via postinstall), so a new
 * embedded database starts from a tarball instead of initdb. Safe to skip: without it start is just slower.
 */
try {
  const file = await buildPgliteTemplate()
  console.log(`embedded database template ready: ${file}`)
} catch (err) {
  console.warn(`embedded database template not built (start will be slower): ${String(err)}`)
}
