/** Moved to bot/lib (the lead intake checks the bodies it parses itself); the HTTP layer's name for it. */
export { findUnsafeString, unsafeStringReason } from '../lib/safe-strings'
