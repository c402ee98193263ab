/**
 * Picks the sentence to show from a message the bot wrote. Bot messages come in three shapes: one language
 * ("客户已存在，负责人 黄丽"), both languages joined by " / " ("冷却期内不能重新领取 / you lost this customer
 * recently"), or a developer sentence in English ("customer 42 not found"). Returns the part in the reader's
 * language, or `null` when the bot sent nothing the reader can use (an English-only sentence for a Chinese
 * reader is a developer message; the caller then shows its own wording for the error code).
 */
export function pickServerMessage(message: string | undefined, locale: string): string | null {
  const text = message?.trim()
  if (!text) return null
  const chinese = locale.startsWith('zh')
  const parts = text.split(/\s*\/\s+/)
  if (parts.length === 2) {
    const [first = '', second = ''] = parts
    const zhPart = hasCjk(first) ? first : hasCjk(second) ? second : null
    const enPart = zhPart === first ? second : first
    if (zhPart && !hasCjk(enPart)) return chinese ? zhPart : enPart
  }
  if (chinese) return hasCjk(text) ? text : null
  return text
}

function hasCjk(text: string): boolean {
  return /[\u3400-\u9fff\uff00-\uffef]/.test(text)
}
