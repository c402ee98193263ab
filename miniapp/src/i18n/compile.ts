import type { MessageCompiler, MessageContext } from 'vue-i18n'

type Part = string | { named: string } | { index: number }
type CompiledCase = (ctx: MessageContext) => string

const PLACEHOLDER = /\{\s*(?:'([^']*)'|(\d+)|([A-Za-z_$][\w$]*))\s*\}/g

function compileCase(source: string): CompiledCase {
  const parts: Part[] = []
  let last = 0
  // An exec loop, not matchAll: the oldest web views we support (Chromium 69) lack it.
  const pattern = new RegExp(PLACEHOLDER.source, 'g')
  for (let match = pattern.exec(source); match !== null; match = pattern.exec(source)) {
    const at = match.index
    if (at > last) parts.push(source.slice(last, at))
    const [, literal, index, named] = match
    if (literal !== undefined) parts.push(literal)
    else if (index !== undefined) parts.push({ index: Number(index) })
    else if (named !== undefined) parts.push({ named })
    last = at + match[0].length
  }
  if (last < source.length) parts.push(source.slice(last))
  if (parts.every((part) => typeof part === 'string')) {
    const text = parts.join('')
    return () => text
  }
  return (ctx) =>
    parts
      .map((part) => {
        if (typeof part === 'string') return part
        const value = 'named' in part ? ctx.named(part.named) : ctx.list(part.index)
        return value === undefined || value === null ? '' : String(value)
      })
      .join('')
}

const cache = new Map<string, CompiledCase>()

/**
 * A small message compiler used instead of vue-i18n's (which costs ~5 KB gzipped on the first screen;
 * `__INTLIFY_DROP_MESSAGE_COMPILER__` removes it). Supports what our messages use: `{name}` and `{0}`
 * placeholders, `{'literal'}`, and `a | b | c` plural cases chosen by `t(key, count)`. Linked messages
 * (`@:key`) and modifiers are not supported; write the text out instead.
 */
export const compileMessage: MessageCompiler = (message, context) => {
  // Precompiled (AST) resources come only from bundler plugins, which this app does not use.
  if (typeof message !== 'string') return () => context.key
  const cached = cache.get(message)
  if (cached) return cached
  const cases = message.split(/\s*\|\s*/).map(compileCase)
  const [single] = cases
  const compiled: CompiledCase =
    cases.length === 1 && single
      ? single
      : (ctx) => ctx.plural(cases.map((compiledCase) => compiledCase(ctx)))
  cache.set(message, compiled)
  return compiled
}
