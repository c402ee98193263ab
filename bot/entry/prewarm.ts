/**
 * Run by `npm start` (`start.mjs`) before the server's modules load: begins the embedded database's file
 * copy and WebAssembly compile on other threads, so they overlap the seconds of module loading on this one
 * (`db/pglite-files.ts`). Imports only Node's modules; safe when nothing applies (PostgreSQL configured).
 */
import { prewarmPglite } from '../../db/pglite-files'

prewarmPglite(process.env)
