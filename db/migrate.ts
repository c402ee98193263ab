import { migrateDatabase, openDatabase } from './client'

/** `npm run db:migrate`: applies migrations to DATABASE_URL (or the embedded database). */
const database = await openDatabase({ url: process.env.DATABASE_URL })
await migrateDatabase(database)
await database.close()
console.log(`migrations applied (${database.kind})`)
