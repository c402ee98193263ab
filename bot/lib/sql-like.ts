/** `s` with LIKE's wildcards (`%`, `_`) and its escape character escaped, to match it literally. */
export const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`)
