// vue-i18n warns once per context that custom message compilers are "experimental"; ours is deliberate
// (see src/i18n/compile.ts) and covered by its own tests, so keep that line out of the test output.
const warn = console.warn.bind(console)
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].includes('Custom Message Compiler')) return
  warn(...args)
}
