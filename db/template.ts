import { buildPgliteTemplate } from './client'
import { seedDemo } from './seed/demo'

/**
 * Builds the PGlite templates for the committed migrations (run at `npm install` via postinstall), so a new
 * embedded database starts from a tarball instead of initdb: `bare` (migrated) and `demo` (migrated and the
 * demo company seeded, which the first `npm start` on the embedded database would otherwise spend seconds
 * on; its times are moved to the present when a database is made from it). Safe to skip: without them start
 * is just slower.
 */
try {
  console.log(`embedded database template ready: ${await buildPgliteTemplate('bare')}`)
  const demo = await buildPgliteTemplate('demo', async (database) => {
    await seedDemo(database.db)
  })
  console.log(`embedded demo database template ready: ${demo}`)
} catch (err) {
  console.warn(`embedded database template not built (start will be slower): ${String(err)}`)
}
