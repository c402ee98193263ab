import { sql } from 'drizzle-orm'
import { text, timestamp } from 'drizzle-orm/pg-core'

/** Prefixed, time-sortable text id (`usr_…`), generated in the app so ids are known before insert. */
export const id = () => text().primaryKey()

/** Every business row carries its tenant; queries must filter on it. */
export const tenantId = () => text().notNull()

export const createdAt = () => timestamp({ withTimezone: true, mode: 'date' }).notNull().default(sql`now()`)

export const updatedAt = () => timestamp({ withTimezone: true, mode: 'date' }).notNull().default(sql`now()`)

export const at = () => timestamp({ withTimezone: true, mode: 'date' })
